// Package txnsingle is the transactional baseline, txn-single: one copy of
// the data on n0, which executes transactions one at a time.
//
// Every node forwards its clients' transactions to n0 and relays the
// answer. n0 runs each transaction to completion in a single step (nothing
// else runs meanwhile), writes the keys it changed to its durable store and
// syncs before it answers, so an acknowledged transaction survives n0's
// crash. A serial schedule on one copy is serializable by definition, and
// since each transaction takes effect between its invocation and its
// answer, strict serializable: the positive control of the transactional
// workloads (Bernstein, Hadzilacos & Goodman, "Concurrency Control and
// Recovery in Database Systems", 1987, ch. 1; Herlihy & Wing 1990 for the
// real-time order).
//
// A forwarded transaction that n0 has executed must not be executed again
// when the network duplicates it, so n0 drops duplicates (atmostonce). A
// forwarding node that hears nothing from n0 within forwardTimeout answers
// crash, which is indefinite: the transaction may have happened.
package txnsingle

import (
	"time"

	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/atmostonce"
	"github.com/ddbbench/ddbbench/nodes/txn/txnstate"
)

// Owner is the node holding the only copy.
const Owner = "n0"

// forwardTimeout is how long a forwarding node waits for n0.
const forwardTimeout = time.Second

const bernstein = "Bernstein, Hadzilacos & Goodman, Concurrency Control and Recovery in Database Systems (1987), ch. 1: a serial execution is serializable"

// Expect is what one serial copy does under each fault: it stays strict
// serializable and pays in availability.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true, Reason: "one copy executes whole transactions one at a time, each between its invocation and its answer", Reference: bernstein},
	{Nemesis: "partition", Safe: true, Reason: "a node cut off from n0 answers nothing definite; there is no second copy to diverge", Reference: "Gilbert & Lynch (2002): choosing consistency over availability"},
	{Nemesis: "kill", Safe: true, Reason: "n0 syncs a transaction's writes before answering, so a crash keeps every acknowledged transaction", Reference: "Gray & Reuter, Transaction Processing (1993), ch. 9: force at commit"},
	{Nemesis: "pause", Safe: true, Reason: "a paused n0 resumes with the only copy; nothing took over meanwhile", Reference: bernstein},
	{Nemesis: "packet", Safe: true, Reason: "loss and delay cause timeouts, not divergence; n0 executes a duplicated transaction at most once", Reference: "Birrell & Nelson, Implementing Remote Procedure Calls (1984): at-most-once semantics"},
	{Nemesis: "clock", Safe: true, Reason: "no decision depends on a clock reading", Reference: "Lamport, Time, Clocks, and the Ordering of Events (1978)"},
}

// Strategy is txn-single's catalog entry.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name: "txn-single", Group: "transactions", New: New, Expect: Expect, Workload: "txn-list-append",
		Summary: "positive control: every transaction forwarded to n0 and executed serially there, synced before answering (strict serializable)",
	}
}

// Node is one node of txn-single.
type Node struct {
	env  nodes.Env
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
	if msg.Type != "txn" {
		n.env.ReplyError(msg, maelstrom.NotSupported, "txn-single serves txn requests only")
		return
	}
	t, err := txnstate.Decode(msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	if n.env.ID() != Owner {
		n.forward(msg, t)
		return
	}
	if n.seen.Duplicate(msg) {
		return
	}
	done, writes, rpcErr := txnstate.Apply(txnstate.Durable{Store: n.env.Store()}, t)
	if rpcErr != nil {
		n.env.ReplyError(msg, rpcErr.Code, rpcErr.Text)
		return
	}
	if len(writes) > 0 {
		n.env.Store().Sync()
	}
	txnstate.Reply(n.env, msg, done)
}

// forward sends t to n0 and relays its answer; an error keeps its code, so
// a definite one stays definite.
func (n *Node) forward(req maelstrom.Msg, t txn.Txn) {
	n.env.RPC(Owner, "txn", txn.Body{Txn: t}, forwardTimeout, func(resp maelstrom.Msg, err error) {
		if err != nil {
			code := maelstrom.ErrorCode(err)
			if code < 0 || code == maelstrom.Timeout {
				code = maelstrom.Crash
			}
			n.env.ReplyError(req, code, "forwarding to "+Owner+": "+err.Error())
			return
		}
		body, derr := maelstrom.Decode[txn.Body](resp)
		if derr != nil {
			n.env.ReplyError(req, maelstrom.Crash, derr.Error())
			return
		}
		txnstate.Reply(n.env, req, body.Txn)
	})
}
