// Package txnlocal is txn-local, the negative control of the transactional
// workloads and the shape of the Gossip Glomers challenges 6a-6c
// ("totally-available transactions"): each node executes transactions on
// its own copy of the data and answers at once, then gossips the
// transactions' writes to the other nodes in the background.
//
// It is totally available: a node answers every transaction without
// waiting for any other node, through any partition. What it can promise
// is therefore what a highly available system can (Bailis et al., "Highly
// Available Transactions: Virtues and Limitations", VLDB 2014): read
// committed, but not serializability. The design is the one that gives
// read committed in that paper's sense:
//
//   - A node runs each transaction to completion in one step, and applies a
//     gossiped transaction's writes in one step too, so no reader ever sees
//     part of a transaction (no G1b, intermediate reads), and a transaction
//     never aborts (no G1a).
//   - Each transaction carries a Lamport timestamp (Lamport, "Time, Clocks,
//     and the Ordering of Events", 1978): the node's clock, advanced past
//     every timestamp the node has received. A register keeps the write with
//     the highest timestamp (last writer wins, Thomas 1979), and a list
//     keeps its elements in the order of the timestamps of their appends,
//     so every node converges on the same versions once gossip is through.
//   - Whatever a transaction reads was written by a transaction with a
//     smaller timestamp, and every version order the checker can infer
//     follows the timestamps, so the write-write and write-read edges of the
//     dependency graph all go forward in timestamp order: no cycle of them
//     (no G0, no G1c).
//
// What it gives up: a read on one node misses writes another node has
// acknowledged and not yet gossiped, and two nodes can both read a key and
// both write it, each unaware of the other (lost update). Under the strong
// models (serializable, snapshot isolation, strict serializable) the
// checker must catch it. In txn-list-append a gossiped append can also land
// before elements a node has already shown in a read, so that two reads of
// a key are not one the prefix of the other: Elle's incompatible-order,
// which it counts as a dirty read (G1a). txn-local is read committed for
// txn-rw-register (Gossip Glomers 6c) and only read uncommitted for
// txn-list-append (6b's model).
//
// Gossip retries until each peer acknowledges, so writes cross a partition
// once it heals, and a receiver applies each transaction once however often
// it arrives (a list would otherwise get a duplicate element, which even
// read uncommitted forbids). The data lives in memory: a killed node comes
// back empty and refills from what its peers had not yet seen acknowledged.
package txnlocal

import (
	"sort"
	"time"

	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/txn/txnstate"
)

const (
	// gossipInterval is how often a node sends each peer the transactions
	// the peer has not acknowledged.
	gossipInterval = 50 * time.Millisecond
	// gossipTimeout is how long a node waits for a peer's acknowledgement
	// before sending the same transactions again.
	gossipTimeout = time.Second
	// gossipBatch bounds the transactions in one gossip message.
	gossipBatch = 500
)

const (
	hat        = "Bailis et al., Highly Available Transactions: Virtues and Limitations (VLDB 2014): serializability is not highly available, read committed is"
	glomers    = "Gossip Glomers challenges 6b/6c (fly.io/dist-sys): totally available, read uncommitted and read committed transactions"
	caughtWhen = "; caught under the strong models (the suite checks strict-serializable)"
)

// Expect: txn-local is never serializable, with or without faults.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: false, Reason: "reads on one node miss writes acknowledged on another and not yet gossiped, and concurrent read-writes of one key on two nodes lose an update" + caughtWhen, Reference: hat},
	{Nemesis: "partition", Safe: false, Reason: "each side keeps answering from its own copy, so the sides diverge until gossip crosses after the heal" + caughtWhen, Reference: glomers},
	{Nemesis: "kill", Safe: false, Reason: "a killed node comes back with an empty copy and answers from it" + caughtWhen, Reference: hat},
	{Nemesis: "pause", Safe: false, Reason: "a paused node's peers keep committing what it cannot see; it resumes with a stale copy" + caughtWhen, Reference: hat},
	{Nemesis: "packet", Safe: false, Reason: "lost gossip is resent later, so copies stay stale longer" + caughtWhen, Reference: hat},
	{Nemesis: "clock", Safe: false, Reason: "timestamps are Lamport clocks, so clock skew changes nothing: it is unsafe as without faults" + caughtWhen, Reference: "Lamport, Time, Clocks, and the Ordering of Events (1978)"},
}

// Strategy is txn-local's catalog entry.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name: "txn-local", Group: "transactions", New: New, Expect: Expect, Workload: "txn-rw-register",
		Summary: "negative control: each node executes on its own copy, answers at once and gossips writes later (read committed on rw-register, read uncommitted on list-append; never serializable)",
	}
}

// stamp is a transaction's Lamport timestamp, ties broken by the node that
// ran it and that node's incarnation: a total order on transactions.
type stamp struct {
	Clock  int    `json:"clock"`
	Origin string `json:"origin"`
	Inc    int    `json:"inc"`
}

func (a stamp) less(b stamp) bool {
	if a.Clock != b.Clock {
		return a.Clock < b.Clock
	}
	if a.Origin != b.Origin {
		return a.Origin < b.Origin
	}
	return a.Inc < b.Inc
}

// record is a committed transaction's writes, as gossip carries them. Its
// stamp also names it: no two transactions share one.
type record struct {
	At     stamp   `json:"at"`
	Seq    int     `json:"seq"` // per incarnation of the origin, with At.Inc: the id
	Writes txn.Txn `json:"writes"`
}

type recordID struct {
	origin   string
	inc, seq int
}

func (r record) id() recordID { return recordID{r.At.Origin, r.At.Inc, r.Seq} }

// element is one appended list element, ordered by its append's stamp and
// its place in the transaction.
type element struct {
	at    stamp
	index int
	value int
}

func (a element) less(b element) bool {
	if a.at != b.at {
		return a.at.less(b.at)
	}
	return a.index < b.index
}

type gossipBody struct {
	Records []record `json:"records"`
}

// Node is one txn-local node.
type Node struct {
	env   nodes.Env
	inc   int // this incarnation, from the durable store
	clock int
	seq   int

	data     txnstate.Mem        // what reads see
	regAt    map[int]stamp       // per register: the stamp of the write it holds
	elements map[int][]element   // per list: its elements, in stamp order
	applied  map[recordID]bool   // transactions applied here
	outbox   map[string][]record // per peer: transactions it has not acknowledged
	inFlight map[string]bool     // per peer: a gossip awaits its answer
}

// New returns a node.
func New() nodes.Node { return &Node{} }

func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.inc = txnstate.Incarnation(env.Store())
	n.data = txnstate.Mem{}
	n.regAt, n.elements = map[int]stamp{}, map[int][]element{}
	n.applied, n.outbox, n.inFlight = map[recordID]bool{}, map[string][]record{}, map[string]bool{}
	env.SetTimer(gossipInterval, n.gossip)
}

func (n *Node) Handle(msg maelstrom.Msg) {
	switch msg.Type {
	case "txn":
		n.transact(msg)
	case "txn_gossip":
		body, err := maelstrom.Decode[gossipBody](msg)
		if err != nil {
			n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
			return
		}
		for _, r := range body.Records {
			n.apply(r)
		}
		n.env.Reply(msg, "txn_gossip_ok", nil)
	default:
		n.env.ReplyError(msg, maelstrom.NotSupported, "txn-local serves txn requests")
	}
}

// transact runs a client's transaction on the local copy, answers, and
// queues its writes for every peer.
func (n *Node) transact(msg maelstrom.Msg) {
	t, err := txnstate.Decode(msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	done, _, rpcErr := txnstate.Apply(n.data, t)
	if rpcErr != nil {
		n.env.ReplyError(msg, rpcErr.Code, rpcErr.Text)
		return
	}
	// The clock is past every stamp this node has seen, so this
	// transaction's writes win here, and its appends go last.
	n.clock++
	n.seq++
	r := record{At: stamp{Clock: n.clock, Origin: n.env.ID(), Inc: n.inc}, Seq: n.seq}
	for _, m := range t {
		if m.F != txn.Read {
			r.Writes = append(r.Writes, m)
		}
	}
	n.record(r)
	txnstate.Reply(n.env, msg, done)
	if len(r.Writes) == 0 {
		return
	}
	for _, peer := range n.env.NodeIDs() {
		if peer != n.env.ID() {
			n.outbox[peer] = append(n.outbox[peer], r)
		}
	}
}

// apply applies a gossiped transaction's writes, once, in one step.
func (n *Node) apply(r record) {
	n.clock = max(n.clock, r.At.Clock)
	if n.applied[r.id()] {
		return
	}
	n.applied[r.id()] = true
	n.record(r)
}

// record notes r's writes: the newest stamp wins a register, and each
// appended element takes its place in stamp order, the list that reads see
// rebuilt from them.
func (n *Node) record(r record) {
	for i, m := range r.Writes {
		switch m.F {
		case txn.Write:
			if at, ok := n.regAt[m.Key]; !ok || !r.At.less(at) {
				n.regAt[m.Key] = r.At
				n.data[m.Key] = m.Value
			}
		case txn.Append:
			e := element{at: r.At, index: i, value: m.Value.(int)}
			els := n.elements[m.Key]
			at := sort.Search(len(els), func(j int) bool { return e.less(els[j]) })
			els = append(els, element{})
			copy(els[at+1:], els[at:])
			els[at] = e
			n.elements[m.Key] = els
			list := make([]int, len(els))
			for j, e := range els {
				list[j] = e.value
			}
			n.data[m.Key] = list
		}
	}
}

// gossip sends each peer, at most one message at a time, the transactions
// it has not acknowledged.
func (n *Node) gossip() {
	n.env.SetTimer(gossipInterval, n.gossip)
	for _, peer := range n.env.NodeIDs() {
		pending := n.outbox[peer]
		if len(pending) == 0 || n.inFlight[peer] {
			continue
		}
		batch := pending[:min(len(pending), gossipBatch)]
		n.inFlight[peer] = true
		n.env.RPC(peer, "txn_gossip", gossipBody{Records: batch}, gossipTimeout, func(_ maelstrom.Msg, err error) {
			n.inFlight[peer] = false
			if err != nil {
				return // sent again at the next tick
			}
			n.outbox[peer] = n.outbox[peer][len(batch):]
		})
	}
}
