package commit

import (
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// TwoPC is two-phase commit with presumed abort (Gray 1978; Mohan, Lindsay
// & Obermarck, "Transaction Management in the R* Distributed Database
// Management System", ACM TODS 11(4), 1986; Özsu & Valduriez ch. 12;
// Elmasri & Navathe §23.6) and the cooperative termination protocol
// (Bernstein, Hadzilacos & Goodman 1987, §7.4).
//
// Phase 1, voting: the coordinator sends PREPARE, with each participant's
// writes, to every participant. A participant that still holds its locks
// forces a prepared record to its log and votes YES; one that lost them
// (it crashed, or aborted the attempt on its own) votes NO; one that only
// read votes READ-ONLY, releases its locks and takes no further part (the
// read-only optimization).
//
// Phase 2, decision: with every vote YES the coordinator forces a commit
// record, the instant the transaction commits, answers the client, and
// sends COMMIT to the participants that voted YES until each acknowledges;
// each installs its writes, forces its commit record and releases its
// locks. A NO, or a vote missing at the timeout, and the coordinator
// aborts: it logs nothing and sends ABORT without waiting for
// acknowledgements. That is presumed abort: a coordinator asked about an
// attempt it has no record of answers abort, so an abort costs no forced
// write and no acknowledgement.
//
// Termination: a participant that voted YES and hears no decision is in
// doubt. It may not decide alone, and keeps its locks. It asks the
// coordinator and, cooperatively, the other participants: any that knows
// the outcome, or has not voted (and so aborts on its own), ends the
// doubt. When everyone it reaches is in doubt too, because the coordinator
// is down and no participant knows, it is blocked, and asks again until
// someone knows. A coordinator that crashes between the votes and the
// decision blocks every participant until it recovers: two-phase commit's
// price.
//
// Recovery: a participant relocks what its prepared records name and asks
// the outcome; a coordinator sends COMMIT again for the commit records
// not yet acknowledged.
type TwoPC struct {
	n       *deadlock.Node
	ledger  *ledger
	log     *decisions
	rounds  map[string]*round // attempts this node coordinates, by name, until decided
	blocked map[string]bool   // attempts in doubt here whose last termination round failed
}

// round is one attempt's voting at its coordinator.
type round struct {
	c       *deadlock.Commit
	writers []string
	votes   map[string]string
	decided bool
}

// NewTwoPC returns a node of the sharded store that commits with 2PC.
func NewTwoPC() *deadlock.Node {
	return deadlock.NewNodeWith(deadlock.WoundWait{}, deadlock.Options{Protocol: &TwoPC{}, OrphanAfter: orphanAfter})
}

// Start implements deadlock.Protocol.
func (p *TwoPC) Start(n *deadlock.Node) {
	p.n, p.ledger, p.log = n, newLedger(n), &decisions{n: n}
	p.rounds, p.blocked = map[string]*round{}, map[string]bool{}
	serve(n, "prepare", p.prepare)
	notice(n, "decision", p.decision)
	serve(n, "commit", p.commitAt)
	serve(n, "status", p.status)
	// Recovery: the participant's doubts, then the coordinator's commits.
	for _, r := range p.ledger.recover() {
		p.doubt(r.Txn, 0)
	}
	recs := p.log.load()
	for _, txn := range p.log.index {
		if rec, ok := recs[txn]; ok {
			p.log.sendCommits(txn, rec.Writers, p.commitAt)
		}
	}
}

// Commit implements deadlock.Protocol: phase 1.
func (p *TwoPC) Commit(c *deadlock.Commit) {
	r := &round{c: c, writers: writersOf(c), votes: map[string]string{}}
	p.rounds[c.Txn] = r
	voting := func() bool { return p.rounds[c.Txn] == r && !r.decided }
	for _, site := range c.Participants {
		call(p.n, site, "prepare", prepareFor(c, site, r.writers), p.prepare, voting, func(v voteReply) { p.voted(r, site, v.Vote) })
	}
	p.n.Env().SetTimer(voteTimeout, func() {
		if voting() {
			p.abort(r, causeVoteTimeout)
		}
	})
}

// voted counts a vote; the last YES decides commit.
func (p *TwoPC) voted(r *round, site, vote string) {
	if r.decided || r.votes[site] != "" {
		return
	}
	r.votes[site] = vote
	if vote == no {
		p.abort(r, causeVoteNo)
		return
	}
	if len(r.votes) < len(r.c.Participants) {
		return
	}
	env := p.n.Env()
	env.SetPhase(history.TxnDeciding)
	r.decided = true
	delete(p.rounds, r.c.Txn)
	if len(r.writers) > 0 {
		p.log.force(r.c.Txn, decision{Writers: r.writers}) // the commit point
	}
	r.c.Committed()
	env.SetPhase("")
	p.log.sendCommits(r.c.Txn, r.writers, p.commitAt)
}

// abort decides abort: ABORT goes to every participant that may still
// hold locks, with no log write and no acknowledgement.
func (p *TwoPC) abort(r *round, cause string) {
	r.decided = true
	delete(p.rounds, r.c.Txn)
	for _, site := range r.c.Participants {
		if v := r.votes[site]; v != no && v != readOnly {
			tell(p.n, site, "decision", decisionBody{Txn: r.c.Txn}, p.decision)
		}
	}
	r.c.Aborted(cause)
}

// The participant.

func (p *TwoPC) prepare(_ string, b prepareBody, reply func(voteReply)) {
	v := p.ledger.vote(b)
	if v == yes {
		p.doubt(b.Txn, doubtTimeout)
	}
	reply(voteReply{Vote: v})
}

// commitAt applies COMMIT; a repeat, or one for an attempt already
// finished here, is acknowledged all the same.
func (p *TwoPC) commitAt(_ string, b decisionBody, reply func(ackBody)) {
	p.ledger.commit(b.Txn)
	delete(p.blocked, b.Txn)
	reply(ackBody{})
}

// decision applies a one-way decision: ABORT from the coordinator, or
// either outcome from a termination round.
func (p *TwoPC) decision(_ string, b decisionBody) {
	if b.Commit {
		p.ledger.commit(b.Txn)
	} else {
		p.ledger.abort(b.Txn, false)
	}
	delete(p.blocked, b.Txn)
}

// doubt runs the termination protocol for a prepared attempt after wait,
// and again after every round that learns nothing.
func (p *TwoPC) doubt(txn string, wait time.Duration) {
	p.n.Env().SetTimer(wait, func() {
		r := p.ledger.prepared[txn]
		if r == nil {
			return // decided meanwhile
		}
		asked := append([]string{r.Owner.Coord}, r.Writers...)
		left, learned := len(asked), false
		for i, node := range asked {
			ask(p.n, node, "status", statusBody{Txn: txn, Coordinator: i == 0}, p.status, func(s statusReply, ok bool) {
				left--
				if ok && !learned && (s.State == committed || s.State == aborted) {
					learned = true
					p.decision("", decisionBody{Txn: txn, Commit: s.State == committed})
				}
				if left == 0 && !learned && p.ledger.prepared[txn] != nil {
					if !p.blocked[txn] {
						p.blocked[txn] = true
						p.n.Env().CommitState(txn, history.TxnBlocked, "")
					}
					p.doubt(txn, doubtTimeout)
				}
			})
		}
	})
}

// status tells what this node knows of an attempt: as its coordinator,
// uncertain while voting, commit while its commit record lasts, and
// otherwise abort (presumed: the attempt aborted, or the coordinator
// crashed before deciding, which leaves no way to commit it); as a
// participant, what its ledger knows.
func (p *TwoPC) status(_ string, b statusBody, reply func(statusReply)) {
	if !b.Coordinator {
		s, ok := p.ledger.know(b.Txn)
		if !ok {
			s = uncertain // a read-only voter knows nothing
		}
		reply(statusReply{State: s})
		return
	}
	switch _, logged := p.log.get(b.Txn); {
	case logged:
		reply(statusReply{State: committed})
	case p.rounds[b.Txn] != nil:
		reply(statusReply{State: uncertain})
	default:
		reply(statusReply{State: aborted})
	}
}
