package commit

import (
	"encoding/json"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// NoCommit is the negative control: no atomic commitment at all. Once the
// transaction holds its locks, the coordinator sends each participant its
// writes, one participant after the other, and answers the client when
// the last has acknowledged applying them; there is no vote and no
// agreement. A participant applies what it is sent, whether it still holds
// the locks or not, and forces it to its log. An apply that is not
// acknowledged in time (the participant is down, cut off or paused, or
// the message was lost) ends the transaction there: the client hears an
// indefinite error, and the participants before it keep what they applied.
//
// What it lacks is what the protocols above add (Bernstein, Hadzilacos &
// Goodman 1987, ch. 7): nobody promised anything before the writes went
// out, so a participant that is down when its writes come never applies
// them while the others did; a coordinator that crashes between two
// applies leaves the transaction applied at some participants and never
// at the others; and a participant that lost its locks (it crashed, or
// aborted the attempt on its own while cut off) applies values computed
// from reads that others have since overwritten. The atomicity checker
// must catch it.
type NoCommit struct{ n *deadlock.Node }

// applyBody carries a participant's writes, to apply at once.
type applyBody struct {
	Txn    string                     `json:"txn"`
	Writes map[string]json.RawMessage `json:"writes,omitempty"`
}

// NewNoCommit returns a node of the sharded store that commits in one
// round with no vote.
func NewNoCommit() *deadlock.Node {
	return deadlock.NewNodeWith(deadlock.WoundWait{}, deadlock.Options{Protocol: &NoCommit{}, OrphanAfter: orphanAfter})
}

// Start implements deadlock.Protocol.
func (p *NoCommit) Start(n *deadlock.Node) {
	p.n = n
	serve(n, "apply", p.apply)
}

// Commit implements deadlock.Protocol: apply at each participant in turn,
// then answer. Once the first has applied, the transaction is half done:
// the node reports it is deciding (the kill-coordinator nemesis's moment),
// and a crash now leaves it half done for good.
func (p *NoCommit) Commit(c *deadlock.Commit) { p.applyFrom(c, 0) }

func (p *NoCommit) applyFrom(c *deadlock.Commit, i int) {
	if i == len(c.Participants) {
		c.Committed()
		return
	}
	if i == 1 {
		p.n.Env().SetPhase(history.TxnDeciding)
		defer p.n.Env().SetPhase("")
	}
	site := c.Participants[i]
	once(p.n, site, "apply", applyBody{Txn: c.Txn, Writes: c.Writes[site]}, p.apply, voteTimeout, func(_ ackBody, ok bool) {
		if !ok {
			c.Indefinite("apply at " + site + " was not acknowledged: the transaction may be partly applied")
			return
		}
		p.applyFrom(c, i+1)
	})
}

// apply installs the writes, once, forces them and releases the locks.
func (p *NoCommit) apply(_ string, b applyBody, reply func(ackBody)) {
	st := p.n.Env().Store()
	if _, done := st.Get(outcomeKey(b.Txn)); !done {
		p.n.Site().Install(b.Writes)
		st.Put(outcomeKey(b.Txn), []byte(committed))
		st.Sync()
		if len(b.Writes) > 0 {
			p.n.Env().CommitState(b.Txn, history.TxnCommitted, "")
		}
	}
	p.n.Site().Release(b.Txn)
	reply(ackBody{})
}
