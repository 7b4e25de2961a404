package deadlock

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// This file is the engine's door for atomic commitment protocols (package
// commit): the growing phase stays the engine's, and a Protocol takes over
// once a transaction holds every lock it needs. Without one, the engine
// commits in one round with no vote, which is no atomic commitment at all.

// Protocol is an atomic commitment protocol: two-phase commit, three-phase
// commit, Paxos Commit, or the one-round apply of the negative control.
type Protocol interface {
	// Start registers the protocol's messages and recovers its state from
	// the node's durable store; the node calls it once it is initialized,
	// in every incarnation.
	Start(n *Node)
	// Commit runs the protocol for one attempt that holds all its locks.
	Commit(c *Commit)
}

// Options are what a node built with NewNodeWith does besides its policy.
type Options struct {
	// Protocol is the atomic commitment protocol; nil is the engine's own
	// one-round commit.
	Protocol Protocol
	// OrphanAfter lets a participant abort, on its own, an attempt that
	// holds locks here, has not voted to commit, and whose coordinator it
	// has not heard from for this long: its coordinator may have crashed,
	// taking with it the only memory of the locks (a participant may abort
	// unilaterally until it votes; Bernstein, Hadzilacos & Goodman 1987,
	// §7.3). Zero never does, as the deadlock strategies do not.
	OrphanAfter time.Duration
}

// Orphaned is the cause of an abort a participant made on its own (see
// Options.OrphanAfter).
const Orphaned = "orphaned"

// NewNodeWith returns a node using policy on lock conflicts and the given
// commit protocol.
func NewNodeWith(policy Policy, o Options) *Node {
	n := NewNode(policy)
	n.protocol, n.orphanAfter = o.Protocol, o.OrphanAfter
	return n
}

// Lock is a lock an attempt holds at a participant: a key and its mode.
type Lock = lockItem

// Commit is one attempt handed to the protocol: who takes part, what each
// participant must still hold and what it writes. The protocol ends it
// with Committed, Aborted or Indefinite, exactly once.
type Commit struct {
	Txn   string // the attempt's name
	Owner Owner
	// Participants are the sites the attempt locked keys at, in the
	// order it asked them; Locks and Writes are by participant (a
	// participant without writes only read).
	Participants []string
	Locks        map[string][]Lock
	Writes       map[string]map[string]json.RawMessage

	c     *Coordinator
	t     *transaction
	reply func(maelstrom.TxnReport) any
	ended bool
}

// Committed ends the attempt committed: the client is told.
func (cm *Commit) Committed() {
	if cm.end() {
		c, t := cm.c, cm.t
		c.n.env.CommitState(cm.Txn, history.TxnCommit, "")
		c.finish(t)
		c.n.env.Reply(t.req, t.prog.replyType, cm.reply(maelstrom.TxnReport{Aborts: t.aborts}))
	}
}

// Aborted ends the attempt aborted for cause, the protocol having told its
// participants: the transaction restarts after a pause, or gives up after
// its last attempt.
func (cm *Commit) Aborted(cause string) {
	if cm.end() {
		cm.c.record(cm.t, cause, 0)
		cm.c.retryOrGiveUp(cm.t)
	}
}

// Indefinite ends the attempt without an outcome the coordinator knows:
// the client hears an indefinite error (crash), and the transaction is
// not tried again, since it may have taken effect.
func (cm *Commit) Indefinite(text string) {
	if cm.end() {
		cm.c.fail(cm.t, maelstrom.Crash, text)
	}
}

func (cm *Commit) end() bool {
	if cm.ended || cm.c.txns[cm.t.id] != cm.t || cm.t.name() != cm.Txn {
		return false
	}
	cm.ended = true
	cm.c.deciding(-1)
	return true
}

// CoordinatorRole is the role (nodes.Env.SetRole) of a node with an
// attempt in its commit protocol and no decision yet: what faults aimed at
// a leader aim at in the commit strategies.
const CoordinatorRole = "coordinator"

// deciding counts the node's attempts between handover and decision, and
// reports the coordinator role while there are any.
func (c *Coordinator) deciding(delta int) {
	c.inProtocol += delta
	switch {
	case delta > 0 && c.inProtocol == 1:
		c.n.env.SetRole(CoordinatorRole)
	case delta < 0 && c.inProtocol == 0:
		c.n.env.SetRole("")
	}
}

// handOver gives an attempt that holds its locks to the protocol.
func (c *Coordinator) handOver(t *transaction, writes map[string]map[string]json.RawMessage, reply func(maelstrom.TxnReport) any) {
	cm := &Commit{Txn: t.name(), Owner: c.owner(t), Participants: slices.Clone(t.sites),
		Locks: map[string][]Lock{}, Writes: map[string]map[string]json.RawMessage{}, c: c, t: t, reply: reply}
	for _, l := range t.prog.locks {
		site := c.n.siteOf(l.key)
		cm.Locks[site] = append(cm.Locks[site], Lock{Key: l.key, Mode: l.mode})
	}
	for site, w := range writes {
		cm.Writes[site] = w
	}
	c.n.env.CommitState(cm.Txn, history.TxnCommitting, "")
	c.deciding(+1)
	c.n.protocol.Commit(cm)
}

// What a protocol needs of its node.

// Env is the node's environment.
func (n *Node) Env() nodes.Env { return n.env }

// Self is the node's id; Sites lists every node, each a participant for
// the keys that hash to it.
func (n *Node) Self() string    { return n.self }
func (n *Node) Sites() []string { return n.sites }

// Site is the node's participant: its lock table and data.
func (n *Node) Site() *Site { return n.site }

// Register registers a handler for messages of type typ.
func (n *Node) Register(typ string, h func(maelstrom.Msg)) { n.mux.Handle(typ, h) }

// Later runs f as a fresh event of the node, as a delivery would.
func (n *Node) Later(f func()) { n.later(f) }

// What a protocol does at a participant.

// Holds reports whether attempt txn holds every one of locks here: a
// participant that crashed since, or aborted the attempt on its own, does
// not, and must not vote to commit.
func (s *Site) Holds(txn string, locks []Lock) bool {
	a := s.attempts[txn]
	if a == nil {
		return false
	}
	for _, l := range locks {
		e := s.locks[l.Key]
		if e == nil {
			return false
		}
		if h := e.holding(txn); h == nil || !covers(h.Mode, l.Mode) {
			return false
		}
	}
	return true
}

// Protect marks attempt txn as voted: it is no longer the participant's to
// abort on its own.
func (s *Site) Protect(txn string) { s.attempt(txn).protected = true }

// Release ends attempt txn here: its locks go, and a late lock request of
// it is refused. Releasing an attempt unknown here does nothing.
func (s *Site) Release(txn string) { s.end(txn) }

// Install writes committed values into the node's store, unsynced: the
// protocol syncs them with its commit record.
func (s *Site) Install(writes map[string]json.RawMessage) {
	st := s.n.env.Store()
	for _, k := range sortedKeys(writes) {
		st.Put(dataKey(k), writes[k])
	}
}

// Relock gives a prepared attempt its locks back after a crash emptied the
// lock table, before anything else runs: a prepared participant keeps its
// locks until it learns the outcome.
func (s *Site) Relock(o Owner, locks []Lock) {
	a := s.attempt(o.Txn)
	a.protected = true
	for _, l := range locks {
		e := s.entry(l.Key)
		e.holders = append(e.holders, &Request{Owner: o, Key: l.Key, Mode: l.Mode})
		a.held = append(a.held, l.Key)
	}
}

// heard notes that attempt name's coordinator was just heard from, and
// arms the orphan check.
func (s *Site) heard(name string, a *siteAttempt) {
	if s.n.orphanAfter <= 0 {
		return
	}
	a.heard = s.n.env.Now()
	if !a.orphanArmed {
		a.orphanArmed = true
		s.n.env.SetTimer(s.n.orphanAfter, func() { s.orphanCheck(name) })
	}
}

// orphanCheck aborts attempt name here if it holds locks, has not voted,
// waits for nothing here and has not been heard from for OrphanAfter; it
// tells the coordinator, in case it is alive after all.
func (s *Site) orphanCheck(name string) {
	a := s.attempts[name]
	if a == nil || a.protected {
		return
	}
	quiet := s.n.env.Now() - a.heard
	if (a.batch != nil && a.batch.waiting != nil) || quiet < s.n.orphanAfter {
		s.n.env.SetTimer(max(s.n.orphanAfter-quiet, time.Millisecond), func() { s.orphanCheck(name) })
		return
	}
	s.n.env.Logf("orphan %s: no word from %s for %v; aborting it here", name, a.coord, quiet)
	s.end(name)
	s.n.tell(a.coord, "abort", abortBody{Txn: name, Cause: Orphaned})
}

// Refused is the cause of an attempt that ended because its program
// refused it (a transfer without the funds): not a conflict, and final.
const Refused = "refused"

// Plain decodes a stored value into the forms Maelstrom's micro-operations
// carry: nil, an int, or a list of ints.
func Plain(raw json.RawMessage) (any, error) { return plain(raw) }
