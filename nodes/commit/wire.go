package commit

import (
	"encoding/json"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// Timing. Latencies in the simulator are a few milliseconds; a fault lasts
// seconds.
const (
	// resendEvery is how long a request waits for its answer before it is
	// sent again: protocol requests are repeated until answered, so a lost
	// message delays a transaction rather than losing it.
	resendEvery = 250 * time.Millisecond
	// voteTimeout is how long a coordinator waits for every vote before
	// it gives up on the transaction.
	voteTimeout = time.Second
	// doubtTimeout is how long a participant in doubt waits for the
	// decision before it runs its termination protocol, and how long it
	// waits between rounds of it.
	doubtTimeout = time.Second
	// askTimeout is how long one round of a termination protocol waits
	// for answers.
	askTimeout = 300 * time.Millisecond
	// orphanAfter is Options.OrphanAfter for every protocol.
	orphanAfter = 2 * time.Second
)

// host is what the messaging helpers need of a node: the sharded store's
// (deadlock.Node) and the saga node both are.
type host interface {
	Env() nodes.Env
	Self() string
	Later(f func())
	Register(typ string, h func(maelstrom.Msg))
}

// serve answers requests of type typ with handler f, which is also what a
// node calls for itself (see call).
func serve[Req, Resp any](n host, typ string, f func(from string, req Req, reply func(Resp))) {
	n.Register(typ, func(msg maelstrom.Msg) {
		req, err := maelstrom.Decode[Req](msg)
		if err != nil {
			n.Env().ReplyError(msg, maelstrom.MalformedRequest, typ+": "+err.Error())
			return
		}
		f(msg.Src, req, func(resp Resp) { n.Env().Reply(msg, typ+"_ok", resp) })
	})
}

// notice handles one-way messages of type typ.
func notice[Req any](n host, typ string, f func(from string, req Req)) {
	n.Register(typ, func(msg maelstrom.Msg) {
		if req, err := maelstrom.Decode[Req](msg); err == nil {
			f(msg.Src, req)
		}
	})
}

// call sends a request to dest and calls cb with the answer, sending it
// again every resendEvery while still() holds. To this node it is no
// message: handler runs as a fresh event, and so does cb.
func call[Req, Resp any](n host, dest, typ string, req Req, handler func(string, Req, func(Resp)), still func() bool, cb func(Resp)) {
	if dest == n.Self() {
		n.Later(func() { handler(dest, req, func(r Resp) { n.Later(func() { cb(r) }) }) })
		return
	}
	var try func()
	try = func() {
		n.Env().RPC(dest, typ, req, resendEvery, func(resp maelstrom.Msg, err error) {
			if err != nil {
				if maelstrom.ErrorCode(err) == maelstrom.Timeout && still() {
					try()
				}
				return
			}
			if r, err := maelstrom.Decode[Resp](resp); err == nil {
				cb(r)
			}
		})
	}
	try()
}

// ask sends a request to dest once and calls cb with the answer, or with
// ok false when none came within askTimeout.
func ask[Req, Resp any](n host, dest, typ string, req Req, handler func(string, Req, func(Resp)), cb func(r Resp, ok bool)) {
	once(n, dest, typ, req, handler, askTimeout, cb)
}

// once is ask with its own timeout.
func once[Req, Resp any](n host, dest, typ string, req Req, handler func(string, Req, func(Resp)), timeout time.Duration, cb func(r Resp, ok bool)) {
	if dest == n.Self() {
		n.Later(func() { handler(dest, req, func(r Resp) { n.Later(func() { cb(r, true) }) }) })
		return
	}
	n.Env().RPC(dest, typ, req, timeout, func(resp maelstrom.Msg, err error) {
		var r Resp
		if err != nil {
			cb(r, false)
			return
		}
		r, derr := maelstrom.Decode[Resp](resp)
		cb(r, derr == nil)
	})
}

// tell sends a one-way message; to this node, handler runs as a fresh
// event.
func tell[Req any](n host, dest, typ string, req Req, handler func(string, Req)) {
	if dest == n.Self() {
		n.Later(func() { handler(dest, req) })
		return
	}
	n.Env().Send(dest, typ, req)
}

// Messages every protocol's participants share.
type (
	// prepareBody asks a participant to vote on an attempt: keep its
	// locks and be ready to install its writes. Writers are the
	// participants with writes, whom a participant in doubt may ask.
	prepareBody struct {
		Txn     string                     `json:"txn"`
		Owner   deadlock.Owner             `json:"owner"`
		Writers []string                   `json:"writers"`
		Locks   []deadlock.Lock            `json:"locks"`
		Writes  map[string]json.RawMessage `json:"writes,omitempty"`
		// Acceptors and Instances are Paxos Commit's: every participant
		// is a resource manager with an instance of consensus on its vote.
		Acceptors []string `json:"acceptors,omitempty"`
		Instances []string `json:"instances,omitempty"`
	}
	voteReply struct {
		Vote string `json:"vote"` // yes, no, read-only
	}
	decisionBody struct {
		Txn    string `json:"txn"`
		Commit bool   `json:"commit"`
	}
	ackBody struct{}
	// statusBody asks a node what it knows of an attempt, as its
	// coordinator or as a participant.
	statusBody struct {
		Txn         string `json:"txn"`
		Coordinator bool   `json:"coordinator,omitempty"`
	}
	// statusReply is what a node knows of an attempt: commit, abort,
	// uncertain (in doubt itself), or a protocol's state.
	statusReply struct {
		State string `json:"state"`
	}
)

// Votes and what nodes know.
const (
	yes       = "yes"
	no        = "no"
	readOnly  = "read-only"
	uncertain = "uncertain"
	committed = "commit"
	aborted   = "abort"
)

// Abort causes a coordinator reports (history.CommitEvent.Cause).
const (
	causeVoteNo      = "vote-no"      // a participant voted no: it lost its locks
	causeVoteTimeout = "vote-timeout" // some vote did not come in time
	causeTermination = "termination"  // a termination protocol or recovery decided abort
)

// writersOf lists the participants with writes, in participant order.
func writersOf(c *deadlock.Commit) []string {
	var out []string
	for _, p := range c.Participants {
		if len(c.Writes[p]) > 0 {
			out = append(out, p)
		}
	}
	return out
}

func prepareFor(c *deadlock.Commit, site string, writers []string) prepareBody {
	return prepareBody{Txn: c.Txn, Owner: c.Owner, Writers: writers, Locks: c.Locks[site], Writes: c.Writes[site]}
}
