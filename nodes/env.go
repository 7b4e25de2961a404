// Package nodes is the event-driven environment reference nodes are written
// against, and the catalog of reference strategies.
//
// A node is a state machine: the runtime hands it one message or timer at a
// time, and everything it does to the world (sending, timers, its clock,
// randomness, durable storage) goes through its Env. The same node code then
// runs in the deterministic simulator and as a real process, and a run in the
// simulator is reproducible from its seed. Node code never starts goroutines,
// sleeps, reads the wall clock, uses the global random source, or lets map
// iteration order decide what it sends.
package nodes

import (
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// Node is a reference node. The runtime creates a fresh Node for each
// incarnation (start, and every restart after a crash), calls Init once it has
// the node's identity, then Handle for every request addressed to it. Replies
// to the node's own RPCs go to their callbacks, not to Handle.
type Node interface {
	Init(env Env)
	Handle(msg maelstrom.Msg)
}

// Env is everything a node may use to act on the world.
type Env interface {
	// ID is this node's id ("n0"); NodeIDs lists every server node in order.
	ID() string
	NodeIDs() []string

	// Now is the node-local clock: time since the run started as this node
	// sees it. The clock nemesis may skew it; it never goes backwards within
	// an incarnation unless the nemesis says so.
	Now() time.Duration
	// Rand is this node's own seeded random source.
	Rand() Rand

	// Send sends a one-way message; body's JSON encoding must be an object.
	Send(dest, typ string, body any)
	// Reply answers req.
	Reply(req maelstrom.Msg, typ string, body any)
	// ReplyError answers req with a Maelstrom error.
	ReplyError(req maelstrom.Msg, code int, text string)
	// RPC sends a request and calls cb exactly once: with the reply, or with
	// a *maelstrom.RPCError when the reply is an error body or when no reply
	// came within timeout (code 0, indefinite). A callback is dropped when its
	// node crashes first.
	RPC(dest, typ string, body any, timeout time.Duration, cb func(resp maelstrom.Msg, err error))

	// SetTimer calls f after d of this node's time. Timers die with the
	// incarnation that set them.
	SetTimer(d time.Duration, f func()) TimerID
	CancelTimer(id TimerID)

	// Store is the node's durable store: it survives crashes.
	Store() Store

	// Logf writes to the node's log.
	Logf(format string, args ...any)

	// SetRole reports the node's role ("leader", "primary", "head", ...) to
	// the harness, which targets faults with it. It must not change behaviour.
	SetRole(role string)

	// WaitsFor reports to the harness that transaction txn waits, at this
	// node, for the transactions in holders to release a lock; nil holders
	// say it no longer waits here. Each report replaces the last for txn.
	// The liveness checker builds the global wait-for graph from these
	// reports to name a deadlock's cycle. Like SetRole, it must not change
	// behaviour: a node reports what it does, never asks.
	WaitsFor(txn string, holders []string)

	// SetPhase reports the protocol step the node has just entered, for
	// faults that aim at a moment rather than at a node: a commit
	// coordinator reports "deciding" once it holds every vote and before
	// it logs or sends the decision, and "" once it has. The nemesis's
	// kill-coordinator crashes the node at that instant. Like SetRole, it
	// must not change behaviour.
	SetPhase(phase string)

	// CommitState reports what this node knows of a transaction attempt's
	// atomic commit, for the harness's agreement, blocking and cost
	// measures: the states are history.CommitEvent's (a coordinator's
	// "committing", "commit" and "abort", whose cause says why; a
	// participant's "prepared", "blocked", "committed" and "aborted").
	// Like SetRole, it must not change behaviour.
	CommitState(txn, state, cause string)
}

// TimerID names a timer for CancelTimer.
type TimerID uint64

// Rand is the subset of math/rand/v2's *Rand that nodes use.
type Rand interface {
	IntN(n int) int
	Int64() int64
	Float64() float64
	Perm(n int) []int
}

// Store is a small durable key-value store. Put and Delete take effect at
// once for Get; Sync makes every earlier write durable. A crash keeps the
// synced writes and, when the run asks to lose unsynced writes, drops the
// rest: a node that acknowledges before Sync may forget what it acknowledged.
type Store interface {
	Get(key string) ([]byte, bool)
	Put(key string, value []byte)
	Delete(key string)
	Sync()
}
