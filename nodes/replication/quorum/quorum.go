// Package quorum is a majority-quorum register: the algorithm of Attiya,
// Bar-Noy and Dolev, "Sharing Memory Robustly in Message-Passing Systems"
// (JACM 42(1), 1995), in its multi-writer form (Lynch and Shvartsman,
// "Robust emulation of shared memory using dynamic quorum-acknowledged
// broadcasts", FTCS 1997), usually called ABD.
//
// # How it works
//
// Every node is a replica. For each key it keeps a tagged value
// (timestamp, value), where a timestamp is (counter, writer) compared
// lexicographically. A replica answers "abd_get" with its tagged value and
// takes an "abd_set" only if the incoming timestamp is higher than its own;
// it writes the tagged value to its durable store and syncs before it
// acknowledges, so a crash never loses an acknowledged copy.
//
// The node a client talks to coordinates the client's operation in two
// phases, each one round trip to a majority (⌊n/2⌋+1 replicas, itself
// included):
//
//   - write(k, v): phase 1, "query": ask every replica for its timestamp of k
//     and wait for a majority; phase 2, "propagate": pick the timestamp
//     (max counter + 1, self) and send (timestamp, v) to every replica;
//     after a majority of acknowledgements, reply write_ok.
//   - read(k): phase 1, "query": ask every replica for its tagged value and
//     take the one with the highest timestamp; phase 2, the read's
//     WRITE-BACK (ABD's "propagate" phase of a read): send that tagged value
//     to every replica and wait for a majority of acknowledgements; then
//     reply with the value, or key-does-not-exist (20) if no replica of the
//     majority had k, in which case there is nothing to write back.
//
// Any two majorities intersect, so the query of an operation sees every
// write that completed before it started. The write-back is what makes
// reads linearizable rather than merely regular: without it, a read that
// saw a write still in progress (present at a minority) could return the
// new value and a later read, querying another majority, the old one — the
// new/old inversion. With it, the value a read returns is at a majority
// before the read returns, so every later read sees it too.
//
// The writer in a timestamp is not just the node id: a node coordinates
// many clients' writes at once, and a restarted node must not reuse a tag
// an earlier incarnation sent, so the writer is "node.incarnation.sequence"
// (incarnations are counted in the durable store). Timestamps stay unique
// and totally ordered, which is all the algorithm needs of them; any total
// order on writers with equal counters would do.
//
// Messages go to every replica, as in the paper, with the coordinator's own
// replica answered locally (no message). Per operation that is, between
// servers, 2(n−1) per phase and 4(n−1) per read or write: 16 with five
// nodes, plus the client's request and reply. A read of a key nobody has
// skips the write-back and costs 2(n−1). Requests still unanswered are sent
// again every retryEvery (the paper assumes reliable channels;
// retransmission builds them over a lossy network, and both requests are
// idempotent), so lost messages cost extra messages rather than
// correctness. An operation without a majority within opDeadline is
// answered with an indefinite timeout error (code 0): it may have reached
// some replicas and may still take effect through a later read's
// write-back.
//
// cas: ABD emulates read/write registers. A compare-and-set cannot be
// built from them with the same fault tolerance (its consensus number is
// infinite; Herlihy 1991), so an atomic cas would need consensus, which is
// not this algorithm. Rather than a non-atomic read-then-write, which would
// not be linearizable, every cas is answered with not-supported (10), a
// definite error: the cas did not happen, and the checker records it as a
// failed operation.
//
// # Expected behaviour
//
// Linearizable under every fault: the argument (quorum intersection plus
// the write-back) uses no timing assumption and no clock, only that
// replicas keep what they acknowledged, which the synced store guarantees
// across a kill. Faults cost availability, never safety: a node that cannot
// reach a majority (a minority side of a partition, a majority killed or
// paused) answers nothing but timeouts; lost, duplicated, delayed or
// reordered messages are retransmitted or ignored; clock skew is invisible
// because only timers (durations) are used.
package quorum

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

const (
	// opDeadline is how long a coordinator tries to reach a majority in
	// both phases before it answers with an indefinite timeout.
	opDeadline = time.Second
	// retryEvery is how often a phase's request goes again to the replicas
	// that have not answered it yet.
	retryEvery = 100 * time.Millisecond
)

// Expect is what the literature says about ABD under each fault.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "every read and write completes at a majority; majorities intersect and reads write back what they return",
		Reference: "Attiya, Bar-Noy, Dolev 1995, Theorem 4.1 (atomicity); Lynch & Shvartsman 1997 (multi-writer)"},
	{Nemesis: "partition", Safe: true,
		Reason:    "safety rests on quorum intersection, not timing; a side without a majority cannot finish a phase and only times out",
		Reference: "Attiya, Bar-Noy, Dolev 1995: correct in any asynchronous execution with a majority of non-faulty processors"},
	{Nemesis: "kill", Safe: true,
		Reason:    "replicas sync before acknowledging, so a restarted replica still holds what it acknowledged; a crashed coordinator's write is indefinite and a later read's write-back settles it",
		Reference: "Attiya, Bar-Noy, Dolev 1995 (crash failures of a minority); stable storage makes crash-recovery equivalent"},
	{Nemesis: "pause", Safe: true,
		Reason:    "a paused node is a slow node; the algorithm is correct in asynchronous executions, and stale messages carry old timestamps that replicas ignore",
		Reference: "Attiya, Bar-Noy, Dolev 1995: no timing assumptions"},
	{Nemesis: "packet", Safe: true,
		Reason:    "requests are idempotent and retransmitted, replies are matched by operation; loss, duplication, delay and reordering cost retries, not safety",
		Reference: "Attiya, Bar-Noy, Dolev 1995 assume reliable channels, which retransmission provides"},
	{Nemesis: "clock", Safe: true,
		Reason:    "no clocks are read: timestamps are logical counters",
		Reference: "Attiya, Bar-Noy, Dolev 1995: logical timestamps"},
}

// Strategy describes quorum for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:    "quorum",
		Group:   "replication",
		Summary: "ABD majority-quorum register: two round trips to a majority per read and write, reads write back; cas not supported",
		New:     New,
		Expect:  Expect,
		NoCAS:   true,
	}
}

// Timestamp orders the versions of a key: counter first, then writer.
type Timestamp struct {
	Counter int    `json:"c"`
	Writer  string `json:"w"`
}

// Less is the lexicographic order on (counter, writer).
func (t Timestamp) Less(u Timestamp) bool {
	if t.Counter != u.Counter {
		return t.Counter < u.Counter
	}
	return t.Writer < u.Writer
}

// Tagged is a replica's copy of one key. The zero Tagged (timestamp
// (0, "")) is "never written", lower than every written version.
type Tagged struct {
	TS    Timestamp `json:"ts"`
	Value int       `json:"value"`
	Has   bool      `json:"has"`
}

// Wire bodies. Op names the coordinator's operation so that replies to any
// retransmission count, and replies to an earlier phase or incarnation do
// not.
type (
	getBody struct {
		Op  int64 `json:"op"`
		Key int   `json:"key"`
	}
	getOKBody struct {
		Op  int64 `json:"op"`
		Key int   `json:"key"`
		Tagged
	}
	setBody struct {
		Op  int64 `json:"op"`
		Key int   `json:"key"`
		Tagged
	}
	setOKBody struct {
		Op int64 `json:"op"`
	}
)

// Node is one replica and coordinator.
type Node struct {
	env nodes.Env
	mux *nodes.Mux
	// noWriteBack removes the read's write-back phase. Tests only: it makes
	// the register regular, not atomic, and the harness must catch it.
	noWriteBack bool

	self     int // index in NodeIDs
	majority int
	boot     int64 // incarnation number, from the durable store
	nextOp   int64
	nextW    int
	ops      map[int64]*operation
	copies   map[int]Tagged // cache of the durable copies
}

// New returns a node.
func New() nodes.Node { return &Node{} }

// operation is a coordinator's state for one client request.
type operation struct {
	id       int64
	req      maelstrom.Msg
	op       kvstate.Op
	phase    int // 1: query, 2: propagate (write) or write-back (read)
	answered []bool
	count    int
	best     Tagged // phase 1: highest tagged value seen
	set      Tagged // phase 2: what is being propagated
	retry    nodes.TimerID
	deadline nodes.TimerID
}

func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.ops = map[int64]*operation{}
	n.copies = map[int]Tagged{}
	ids := env.NodeIDs()
	n.majority = len(ids)/2 + 1
	for i, id := range ids {
		if id == env.ID() {
			n.self = i
		}
	}
	// Count incarnations durably: operation ids and writer tags must not
	// repeat across restarts.
	if b, ok := env.Store().Get("abd/boot"); ok {
		n.boot, _ = strconv.ParseInt(string(b), 10, 64)
	}
	n.boot++
	env.Store().Put("abd/boot", strconv.AppendInt(nil, n.boot, 10))
	env.Store().Sync()

	n.mux = nodes.NewMux(env)
	for _, t := range []string{"read", "write", "cas"} {
		n.mux.Handle(t, n.client)
	}
	n.mux.Handle("abd_get", n.handleGet)
	n.mux.Handle("abd_set", n.handleSet)
	n.mux.Handle("abd_get_ok", n.handleGetOK)
	n.mux.Handle("abd_set_ok", n.handleSetOK)
}

func (n *Node) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

// ---- replica ----

func storeKey(k int) string { return "abd/reg/" + strconv.Itoa(k) }

// load returns the replica's copy of key.
func (n *Node) load(key int) Tagged {
	if t, ok := n.copies[key]; ok {
		return t
	}
	var t Tagged
	if b, ok := n.env.Store().Get(storeKey(key)); ok {
		if err := json.Unmarshal(b, &t); err != nil {
			n.env.Logf("corrupt copy of key %d: %v", key, err)
		}
	}
	n.copies[key] = t
	return t
}

// store takes t for key if it is newer than the replica's copy, durably.
func (n *Node) store(key int, t Tagged) {
	if !n.load(key).TS.Less(t.TS) {
		return // as new or newer already here, and synced when it came
	}
	b, _ := json.Marshal(t)
	n.env.Store().Put(storeKey(key), b)
	n.env.Store().Sync()
	n.copies[key] = t
}

func (n *Node) handleGet(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[getBody](msg)
	if err != nil {
		n.env.Logf("bad abd_get from %s: %v", msg.Src, err)
		return
	}
	n.env.Send(msg.Src, "abd_get_ok", getOKBody{Op: b.Op, Key: b.Key, Tagged: n.load(b.Key)})
}

func (n *Node) handleSet(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[setBody](msg)
	if err != nil {
		n.env.Logf("bad abd_set from %s: %v", msg.Src, err)
		return
	}
	n.store(b.Key, b.Tagged)
	n.env.Send(msg.Src, "abd_set_ok", setOKBody{Op: b.Op})
}

// ---- coordinator ----

func (n *Node) client(msg maelstrom.Msg) {
	op, _, err := kvstate.Decode(msg)
	switch {
	case err != nil:
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	case op.F == "cas":
		n.env.ReplyError(msg, maelstrom.NotSupported,
			"quorum (ABD) emulates a read/write register; an atomic cas needs consensus")
		return
	}
	n.nextOp++
	o := &operation{id: n.boot<<32 | n.nextOp, req: msg, op: op}
	n.ops[o.id] = o
	o.deadline = n.env.SetTimer(opDeadline, func() {
		if n.ops[o.id] != o {
			return
		}
		n.finish(o)
		n.env.ReplyError(o.req, maelstrom.Timeout,
			fmt.Sprintf("%s of key %d: no majority in phase %d within %v; it may still take effect", op.F, op.Key, o.phase, opDeadline))
	})
	n.begin(o, 1)
}

// finish forgets o: later replies and timers find nothing.
func (n *Node) finish(o *operation) {
	delete(n.ops, o.id)
	n.env.CancelTimer(o.retry)
	n.env.CancelTimer(o.deadline)
}

// begin starts phase p of o: the local replica answers at once, the others
// by message.
func (n *Node) begin(o *operation, p int) {
	n.env.CancelTimer(o.retry)
	o.phase, o.count = p, 0
	o.answered = make([]bool, len(n.env.NodeIDs()))
	if p == 1 {
		o.best = Tagged{}
		n.gotGet(o, n.self, n.load(o.op.Key))
	} else {
		n.store(o.op.Key, o.set)
		n.gotSet(o, n.self)
	}
	if n.ops[o.id] == o && o.phase == p {
		n.send(o)
	}
}

// send sends phase o.phase's request to every replica that has not
// answered, and schedules the next retransmission.
func (n *Node) send(o *operation) {
	for i, id := range n.env.NodeIDs() {
		if o.answered[i] {
			continue
		}
		if o.phase == 1 {
			n.env.Send(id, "abd_get", getBody{Op: o.id, Key: o.op.Key})
		} else {
			n.env.Send(id, "abd_set", setBody{Op: o.id, Key: o.op.Key, Tagged: o.set})
		}
	}
	p := o.phase
	o.retry = n.env.SetTimer(retryEvery, func() {
		if n.ops[o.id] == o && o.phase == p {
			n.send(o)
		}
	})
}

// answer records that replica i answered the current phase; it reports
// false for a duplicate.
func (o *operation) answer(i int) bool {
	if i < 0 || o.answered[i] {
		return false
	}
	o.answered[i] = true
	o.count++
	return true
}

func (n *Node) index(id string) int {
	for i, x := range n.env.NodeIDs() {
		if x == id {
			return i
		}
	}
	return -1
}

func (n *Node) handleGetOK(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[getOKBody](msg)
	if err != nil {
		return
	}
	if o := n.ops[b.Op]; o != nil && o.phase == 1 {
		n.gotGet(o, n.index(msg.Src), b.Tagged)
	}
}

func (n *Node) handleSetOK(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[setOKBody](msg)
	if err != nil {
		return
	}
	if o := n.ops[b.Op]; o != nil && o.phase == 2 {
		n.gotSet(o, n.index(msg.Src))
	}
}

func (n *Node) gotGet(o *operation, i int, t Tagged) {
	if !o.answer(i) {
		return
	}
	if o.best.TS.Less(t.TS) {
		o.best = t
	}
	if o.count < n.majority {
		return
	}
	// The query is complete: o.best is at least as new as every write that
	// completed before this operation began.
	switch {
	case o.op.F == "write":
		n.nextW++
		o.set = Tagged{
			TS:    Timestamp{Counter: o.best.TS.Counter + 1, Writer: fmt.Sprintf("%s.%d.%d", n.env.ID(), n.boot, n.nextW)},
			Value: o.op.Value,
			Has:   true,
		}
		n.begin(o, 2)
	case !o.best.Has:
		// No replica of a majority has the key, so no write of it has
		// completed; nothing to write back.
		n.finish(o)
		kvstate.Result{Code: maelstrom.KeyDoesNotExist, Text: "key does not exist"}.Reply(n.env, o.req, o.op)
	case n.noWriteBack:
		n.finish(o)
		kvstate.Result{Value: o.best.Value}.Reply(n.env, o.req, o.op)
	default:
		// The read's write-back: make what we are about to return present
		// at a majority first, so that no later read can return anything
		// older. This phase is what makes ABD reads atomic.
		o.set = o.best
		n.begin(o, 2)
	}
}

func (n *Node) gotSet(o *operation, i int) {
	if !o.answer(i) || o.count < n.majority {
		return
	}
	n.finish(o)
	if o.op.F == "write" {
		kvstate.Result{}.Reply(n.env, o.req, o.op)
		return
	}
	kvstate.Result{Value: o.set.Value}.Reply(n.env, o.req, o.op)
}
