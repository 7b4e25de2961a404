// Package single is the baseline: one copy of the data, no replication.
//
// Node n0 holds every register in its durable store and syncs before it
// acknowledges a write, so an acknowledged write survives n0's crash. Every
// other node forwards client requests to n0 and relays the answer.
//
// The network may duplicate messages (the packet nemesis does), and a late
// duplicate of a forwarded write, applied after a newer write, would undo
// it. So n0 executes each forwarded request at most once, remembering the
// (sender, msg_id) pairs it has seen: the at-most-once RPC server of Birrell
// and Nelson, "Implementing Remote Procedure Calls" (1984). The memory is
// volatile and bounded; a duplicate that outlives n0's restart could still
// be applied twice.
//
// Expected behaviour: linearizable under every fault, since there is only
// one copy and it applies requests one at a time. Unavailable whenever n0 is
// down, paused or cut off from the node a client talks to: those requests
// time out (indefinite), which the checker must allow for.
package single

import (
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/atmostonce"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// Expect is what a single copy does under each fault: it stays correct,
// and pays in availability.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true, Reason: "one copy applies requests one at a time", Reference: "Bernstein, Hadzilacos & Goodman, Concurrency Control and Recovery (1987), ch. 8: one-copy serializability is trivial with one copy"},
	{Nemesis: "partition", Safe: true, Reason: "a cut-off node cannot reach n0 and answers nothing definite; no second copy can diverge", Reference: "Gilbert & Lynch (2002): choosing consistency over availability"},
	{Nemesis: "kill", Safe: true, Reason: "n0 syncs before acknowledging, so a crash keeps every acknowledged write", Reference: "Gray & Reuter, Transaction Processing (1993), ch. 9: write-ahead before acknowledging"},
	{Nemesis: "pause", Safe: true, Reason: "a paused n0 resumes with the only copy; nothing else took over", Reference: "as for partition"},
	{Nemesis: "packet", Safe: true, Reason: "loss and delay cause timeouts, not divergence; duplicates are executed at most once", Reference: "Birrell & Nelson, Implementing Remote Procedure Calls (1984): at-most-once semantics"},
	{Nemesis: "clock", Safe: true, Reason: "no decision depends on a clock reading", Reference: "Lamport, Time, Clocks, and the Ordering of Events (1978)"},
}

// Owner is the node holding the only copy.
const Owner = "n0"

// forwardTimeout is how long a forwarding node waits for n0 before telling
// the client the outcome is unknown.
const forwardTimeout = time.Second

// Node is one node of the single-copy strategy.
type Node struct {
	env nodes.Env
	// seen drops duplicates of the forwarded requests n0 has executed.
	seen *atmostonce.Filter
}

// New returns a node.
func New() nodes.Node { return &Node{} }

func (n *Node) Init(env nodes.Env) {
	n.env, n.seen = env, atmostonce.New(env.NodeIDs())
	if env.ID() == Owner {
		env.SetRole("primary")
	}
}

func (n *Node) Handle(msg maelstrom.Msg) {
	op, ok, err := kvstate.Decode(msg)
	switch {
	case !ok:
		n.env.ReplyError(msg, maelstrom.NotSupported, "single serves read, write and cas")
	case err != nil:
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
	case n.env.ID() == Owner:
		if n.seen.Duplicate(msg) {
			return
		}
		res := kvstate.Apply(kvstate.Durable{Store: n.env.Store()}, op)
		if op.Mutates() && res.Code == 0 {
			n.env.Store().Sync()
		}
		res.Reply(n.env, msg, op)
	default:
		typ, body := op.Request()
		n.env.RPC(Owner, typ, body, forwardTimeout, func(resp maelstrom.Msg, err error) {
			kvstate.ReplyWith(n.env, msg, resp, err)
		})
	}
}
