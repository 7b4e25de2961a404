// Package workloads generates operations and speaks the client side of each
// workload's protocol. The Driver turns a Workload into open-loop load on a
// cluster and records the history.
package workloads

import (
	"math/rand/v2"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// Workload is one kind of client traffic and its protocol.
type Workload interface {
	// Name is the workload's name ("register").
	Name() string
	// Generate returns the next main-phase operation with F, Key and Value
	// set. It is called in schedule order, so it may keep state.
	Generate(rng *rand.Rand) *history.Op
	// Final returns the operations to run once the cluster has healed and
	// recovered, such as final reads; nil when the workload has none.
	Final() []*history.Op
	// Request is the message that invokes op.
	Request(op *history.Op) (typ string, body any)
	// Complete records a successful reply into op (its Result). An error
	// return means the reply did not fit the protocol; the op becomes info.
	Complete(op *history.Op, resp maelstrom.Msg) error
	// ErrorIsResult reports whether an error code, for op, is a result the
	// checker can use (key does not exist, precondition failed) rather than
	// a failure: such ops are recorded as ok with the error attached.
	ErrorIsResult(op *history.Op, code int) bool
}

// Request is one message a Preparer sends before the load starts.
type Request struct {
	Dest, Type string
	Body       any
}

// Preparer is implemented by workloads that must tell the nodes something
// before the load starts, as broadcast sends each node its topology. The
// driver sends every request and waits for all replies (or timeouts) before
// the first operation.
type Preparer interface {
	Prepare(nodes []string) []Request
}

// Scheduler is the clock and timer the driver runs on: virtual time in the
// simulator, real time with processes. Callbacks run one at a time.
type Scheduler interface {
	Now() time.Duration
	After(d time.Duration, f func())
}

// FinalFollower is implemented by workloads whose final phase depends on
// what it reads, as kafka polls each key until it has caught up. After each
// final operation completes (whatever its outcome), the driver queues the
// operations FollowFinal returns as further final operations.
type FinalFollower interface {
	FollowFinal(op *history.Op) []*history.Op
}

// Sequencer is implemented by workloads whose operations come in sequences
// on one client, as a lock's acquire, critical section and release do. An
// arrival starts a sequence with Generate's operation; whenever one of its
// operations completes, whatever the outcome, the client asks Next what to
// do and stays busy with the sequence until Next says it is over.
type Sequencer interface {
	Next(op *history.Op, clock ClientClock) Step
}

// ClientClock is a client's own clock, which the clock nemesis may skew
// like a server's: its reading when the completed operation was invoked,
// and now.
type ClientClock struct {
	Invoked, Now time.Duration
}

// Step is what a client does after an operation of a sequence.
type Step struct {
	// Op is the next operation, nil when the sequence is over. The
	// driver sets its Intended time to its invocation unless the workload
	// set one (a retry keeps its arrival's, so its latency counts from
	// there).
	Op *history.Op
	// After is how long the client works before invoking Op. It waits on
	// its own timer, so a paused client does not get on with it.
	After time.Duration
	// Role is what the client is while it works towards Op ("holder" for
	// a lock holder at work), reported as a node reports its role, so that
	// faults can aim at it; cleared when it invokes Op.
	Role string
}

// FailureRecorder is implemented by workloads whose error replies carry
// more than a code and a text, as a transactional store's may list the
// attempts it aborted. The driver calls RecordFailure with the error reply
// before recording the operation (not for timeouts, which have no reply).
type FailureRecorder interface {
	RecordFailure(op *history.Op, resp maelstrom.Msg)
}
