// Package chain is chain replication: van Renesse and Schneider, "Chain
// Replication for Supporting High Throughput and Availability", OSDI 2004.
//
// # How it works
//
// The servers form a chain, n0 → n1 → … → n{N−1} at the start. Every
// update (write and cas) is processed by the head, which decides its
// outcome against its own state (a cas that fails is still an update, one
// that changes nothing), gives it the next sequence number, applies it,
// syncs it to its durable store and forwards it to its successor; each
// server in turn applies, syncs and forwards; the tail applies it and the
// update is then committed. Queries (reads) are served by the tail alone,
// from its state, so a read sees exactly the committed updates.
//
// Replies. In the paper the tail replies to the client. Here a client only
// talks to the node it is attached to (the entry node E), so E sends the
// update to the head ("chain_submit") and the tail sends the outcome back
// to E ("chain_result"), which answers its client. An update costs
// 1 (E→head) + (N−1) (down the chain) + 1 (tail→E) message delays: N+1,
// or N when E is the head or the tail (one hop is local). With N = 5 and
// 5 ms links that is 25–30 ms. A read costs one round trip E→tail→E, or
// nothing when E is the tail.
//
// Messages between servers: an update costs 2(N−1) (forwards down the
// chain, acknowledgements up) plus the hop to the head and the result back
// when E is neither head nor tail; a read costs 2 when E is not the tail.
// In the background, one heartbeat round trip per link every 100 ms.
//
// Sent lists and acknowledgements (the paper's §3). Each server keeps the
// updates it has forwarded that the tail has not yet acknowledged, its
// Sent list, in its durable store. When the tail applies updates it sends
// an acknowledgement of its highest sequence number to its predecessor,
// which prunes its Sent list and passes the acknowledgement up; this costs
// N−1 messages per update, off the reply's path. The paper assumes
// reliable FIFO links (TCP); here they are made so by sequence numbers, as
// TCP does: a server applies only the next sequence number and ignores
// duplicates, holds forwards that overtook an earlier one in a receive
// buffer until the gap is filled (TCP's receive window; without it, a
// network that reorders makes every overtaken forward wait for a resend),
// and a predecessor whose successor reports (in heartbeat replies) no
// progress resends its Sent list.
//
// Failures and the master. The paper's master is a separate fault-tolerant
// service that detects failures and tells the servers their new
// neighbours. Here the master's state, the configuration (epoch, chain), is
// kept in the built-in lin-kv service, which is linearizable, reachable
// from every node and never faulted, and every change is a compare-and-set
// on it, so configurations form one sequence. The master's failure
// detection is done by the servers on its behalf, by heartbeats: each
// server pings its successor every tick (100 ms), and the head's
// successor also watches the head's pings. A server that hears nothing
// from a watched neighbour for suspectAfter (2 s) asks the master to remove
// it (the cas), then tells every member of the new chain. Servers re-read
// the configuration whenever a message carries a newer epoch, and while
// starting; they do not poll it. Only the members of the new chain are
// told: the paper's master does not talk to servers it has removed, which
// it takes to be crashed, so a removed server that is in fact alive learns
// of its removal only when a message with a newer epoch reaches it. (Each node's timers run in their own phase, drawn at start, as
// real servers' would, rather than all in step.)
//
// Reconfiguration follows the paper:
//   - head removed: its successor is the new head (updates the old head had
//     not forwarded are lost; their clients time out, indefinitely);
//   - tail removed: its predecessor is the new tail; its Sent list is now
//     committed, so it sends their outcomes to the entry nodes (which ignore
//     ones already answered) and acknowledges them upstream;
//   - middle server removed: its predecessor sends its Sent list to its new
//     successor, which ignores what it already has (the paper has the
//     successor report its last sequence number first; resending all of Sent
//     and deduplicating by sequence number is equivalent).
//
// Restarts and rejoining (the paper's extension for adding a server). A
// restarted server asks the master for the configuration before it serves
// anything. If it is still a member (nobody removed it while it was down),
// it resumes with its durable state, which holds everything it
// acknowledged. Otherwise it marks its copy as unusable and asks the tail
// to let it join at the end of the chain: the tail adds it with a cas on
// the configuration and, once the joiner reports itself empty, sends it a
// snapshot of its state and Sent list; until the snapshot is installed the
// joiner serves nothing and accepts no updates. Only servers with a usable
// copy act for the master.
//
// # Expected behaviour
//
// Chain replication is linearizable when servers are fail-stop: a server
// that is removed has really stopped. Under kill that holds (a killed
// server does stop, and on restart it consults the master before serving),
// so it stays linearizable; availability drops while a failure is being
// detected (up to 2 s with writes blocked at the dead server) and while a
// joiner catches up.
//
// A partition or a pause breaks the fail-stop assumption (the paper's §3:
// "servers are assumed to be fail-stop"). The master removes a tail it
// cannot hear from and its predecessor becomes tail and commits new
// updates, while the old tail, alive and still believing it is the tail,
// answers reads from its old state (its own clients', and those entry
// nodes forward to it before they learn of the change) until a message
// with a newer epoch reaches it, which may be the whole partition; a
// paused tail first answers the reads that queued up while it was paused.
// The harness sees the stale reads when the fault hits the tail (the
// strategy names "tail" as its target role) and the reads are issued
// after the removal.
// These are stale reads, which the linearizability checker catches. With
// one-way partitions a server that cannot hear its successor also gets a
// healthy successor removed, with the same consequence. This is the
// protocol's documented assumption, not fixed here.
//
// Packet faults do not violate the protocol's assumptions by themselves:
// links are made reliable by sequence numbers and resending, duplicated
// requests are ignored by request id, and the failure detector needs 2 s
// without a single heartbeat round trip, which the packet nemesis (at most
// 30% loss, in bursts of 50 ms on average, and 100 ms extra delay)
// makes vanishingly unlikely (pb's 150 ms detector does misfire). Heavier
// loss would make this one misfire too, and a falsely removed tail is the
// same hazard as a partitioned one. Clock faults change nothing: no clock is
// read; timeouts count timer ticks.
package chain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

const (
	// tick is the heartbeat period.
	tick = 100 * time.Millisecond
	// suspectAfter is how many ticks without contact make a neighbour
	// suspected: 2 s.
	suspectAfter = 20
	// pollEvery is how many ticks pass between configuration reads while a
	// server is starting (it has not yet read the configuration).
	pollEvery = 10
	// joinEvery is how many ticks pass between a non-member's join requests.
	joinEvery = 10
	// opDeadline is how long an entry node waits for an update's outcome or
	// a read's answer before answering its client with a timeout.
	opDeadline = time.Second
	// rpcTimeout bounds pings and calls to the master.
	rpcTimeout = time.Second
	// window is how far past its next sequence number a server buffers
	// forwards that arrived early (the receive window); later ones are
	// dropped and come again with a resend.
	window = 1024
	// remembered is how many recent request ids per entry node a head keeps,
	// durably, to ignore a duplicated submission.
	remembered = 256

	// master is the service holding the configuration, and configKey its key.
	master    = "lin-kv"
	configKey = "ddbbench/chain/config"
)

// Expect is what the literature says about chain replication under each
// fault.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "updates are applied in one order down the chain and reads are served by the tail, which holds exactly the committed updates",
		Reference: "van Renesse & Schneider, OSDI 2004, §2–3"},
	{Nemesis: "kill", Safe: true,
		Reason:    "crash failures are fail-stop, what the paper handles: the master removes the dead server, Sent lists are resent, and a restarted server consults the master and rejoins at the tail with a copy of its state",
		Reference: "van Renesse & Schneider, OSDI 2004, §3 (failures of head, tail, middle; adding a server)"},
	{Nemesis: "partition", Safe: false,
		Reason:    "a tail cut off from its predecessor is removed while alive; the new tail commits updates while the old one still answers its clients' reads: stale reads",
		Reference: "van Renesse & Schneider, OSDI 2004, §3: servers are assumed fail-stop"},
	{Nemesis: "pause", Safe: false,
		Reason:    "a paused tail is removed while alive; when it resumes it answers the reads queued meanwhile from its old state before it learns it was removed: stale reads",
		Reference: "van Renesse & Schneider, OSDI 2004, §3: servers are assumed fail-stop"},
	{Nemesis: "packet", Safe: true,
		Reason:    "sequence numbers and resent Sent lists make links reliable FIFO and duplicates are ignored; the 2 s failure detector would need two seconds of silence, while the packet nemesis's loss bursts last 50 ms on average (a 2 s one has odds of e^-40)",
		Reference: "van Renesse & Schneider, OSDI 2004, §2 assume reliable FIFO links"},
	{Nemesis: "clock", Safe: true,
		Reason:    "no clocks are read; timeouts count timer ticks",
		Reference: "van Renesse & Schneider, OSDI 2004: no clock assumptions"},
}

// Strategy describes chain for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:    "chain",
		Group:   "replication",
		Summary: "chain replication: updates enter at the head and commit at the tail, reads served by the tail; lin-kv holds the master's configuration",
		New:     New,
		Expect:  Expect,
		// The tail answers reads and acknowledges writes: it is the node
		// whose fault matters most.
		TargetRoles: []string{"tail"},
	}
}

// Config is the master's configuration: the chain, head first.
type Config struct {
	Epoch int
	Chain []string
}

func (c Config) encode() string { return strconv.Itoa(c.Epoch) + ":" + strings.Join(c.Chain, ",") }

func decodeConfig(s string) (Config, error) {
	e, chain, ok := strings.Cut(s, ":")
	if !ok {
		return Config{}, fmt.Errorf("configuration %q has no epoch", s)
	}
	epoch, err := strconv.Atoi(e)
	if err != nil {
		return Config{}, fmt.Errorf("configuration %q: bad epoch: %v", s, err)
	}
	if chain == "" {
		return Config{}, fmt.Errorf("configuration %q has an empty chain", s)
	}
	return Config{Epoch: epoch, Chain: strings.Split(chain, ",")}, nil
}

// Entry is one update as it travels down the chain: its outcome was decided
// by the head, so every server applies the same change.
type Entry struct {
	Seq    int    `json:"seq"`
	Key    int    `json:"key"`
	Set    bool   `json:"set"` // the update stores Value under Key
	Value  int    `json:"value,omitempty"`
	F      string `json:"f"`              // "write" or "cas": the reply's type
	Code   int    `json:"code,omitempty"` // 0: ok; else the definite error
	Text   string `json:"text,omitempty"`
	Origin string `json:"origin"` // the entry node to tell the outcome
	RID    int64  `json:"rid"`
}

// Wire bodies.
type (
	submitBody struct {
		RID int64      `json:"rid"`
		Op  kvstate.Op `json:"op"`
	}
	resultBody struct {
		RID  int64  `json:"rid"`
		F    string `json:"f"`
		Code int    `json:"code,omitempty"`
		Text string `json:"text,omitempty"`
	}
	fwdBody struct {
		Epoch   int     `json:"epoch"`
		Entries []Entry `json:"entries"`
	}
	ackBody struct {
		Epoch   int `json:"epoch"`
		Seq     int `json:"seq"`     // the tail has applied up to here
		Applied int `json:"applied"` // the sender has applied up to here
	}
	snapshotBody struct {
		Epoch   int      `json:"epoch"`
		Applied int      `json:"applied"`
		Acked   int      `json:"acked"`
		KV      [][2]int `json:"kv"` // sorted by key
		Sent    []Entry  `json:"sent"`
	}
	epochBody struct {
		Epoch int `json:"epoch"`
	}
	pingOKBody struct {
		Epoch   int  `json:"epoch"`
		Applied int  `json:"applied"`
		Ready   bool `json:"ready"`
	}
	configBody struct {
		Config string `json:"config"`
	}
	// The master's (lin-kv's) bodies.
	kvReadReq struct {
		Key string `json:"key"`
	}
	kvReadOK struct {
		Value json.RawMessage `json:"value"`
	}
	kvCASReq struct {
		Key    string `json:"key"`
		From   string `json:"from"`
		To     string `json:"to"`
		Create bool   `json:"create_if_not_exists,omitempty"`
	}
)

// meta is the durable bookkeeping next to the data.
type meta struct {
	Applied int  `json:"applied"`
	Acked   int  `json:"acked"`
	Ready   bool `json:"ready"`
}

// Node is one chain server.
type Node struct {
	env nodes.Env
	mux *nodes.Mux
	// replyAtHead makes the head report an update's outcome as soon as it
	// has applied it, before the tail has. Tests only: it is asynchronous
	// replication, whose stale reads at the tail the harness must catch.
	replyAtHead bool

	// From the master.
	started bool // the configuration has been read once since boot
	cfg     Config
	pos     int // index in cfg.Chain, -1 when not a member

	// Replica state, durable. Entries acked+1..applied are the Sent list.
	ready   bool // the copy is usable (false while joining)
	kv      map[int]int
	applied int
	acked   int
	sent    []Entry // sent[i].Seq == acked+1+i
	// ahead is the receive buffer: forwards from the predecessor, in this
	// epoch, past a gap in the sequence. Volatile, like TCP's: a resend
	// fills it again. A new epoch empties it, since a new head may number
	// updates the old one had numbered differently.
	ahead map[int]Entry

	// Entry-node state.
	boot    int64
	nextRID int64
	pending map[int64]*request
	early   []maelstrom.Msg // client requests that came before the configuration

	// Head state: the latest request ids taken from each entry node, to
	// ignore duplicated submissions (a write applied twice could bring an
	// old value back). Durable, so a restart does not forget them.
	seen map[string][]int64

	// Failure detection and master duties, in ticks.
	ticks       int
	succContact int
	predContact int
	// From the last heartbeat reply: the successor's applied and ours then
	// (-1: no reply since the successor changed).
	succApplied, mineThen int
	pollPhase             int // this node reads the configuration when ticks%pollEvery == pollPhase
	proposing             bool
	fetching              bool
}

// request is a client request an entry node waits on.
type request struct {
	msg   maelstrom.Msg
	op    kvstate.Op
	timer nodes.TimerID
}

// New returns a node.
func New() nodes.Node { return &Node{} }

func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.pos = -1
	n.cfg.Epoch = -1
	n.pending = map[int64]*request{}
	n.ahead = map[int]Entry{}
	n.seen = map[string][]int64{}
	n.succApplied = -1
	n.load()

	n.mux = nodes.NewMux(env)
	n.mux.Handle("read", n.clientRead)
	n.mux.Handle("write", n.clientUpdate)
	n.mux.Handle("cas", n.clientUpdate)
	n.mux.Handle("chain_read", n.handleRead)
	n.mux.Handle("chain_submit", n.handleSubmit)
	n.mux.Handle("chain_result", n.handleResult)
	n.mux.Handle("chain_fwd", n.handleFwd)
	n.mux.Handle("chain_ack", n.handleAck)
	n.mux.Handle("chain_snapshot", n.handleSnapshot)
	n.mux.Handle("chain_ping", n.handlePing)
	n.mux.Handle("chain_config", n.handleConfig)
	n.mux.Handle("chain_stale", func(maelstrom.Msg) { n.fetchConfig() })
	n.mux.Handle("chain_join", n.handleJoin)

	env.SetRole("starting")
	n.fetchConfig()
	// Each node's heartbeat and configuration reads keep their own phase,
	// as real servers' timers would, rather than all firing in step.
	n.pollPhase = env.Rand().IntN(pollEvery)
	env.SetTimer(time.Duration(1+env.Rand().IntN(int(tick/time.Millisecond)))*time.Millisecond, n.onTick)
}

func (n *Node) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

// ---- durable state ----

func logKey(seq int) string { return "chain/log/" + strconv.Itoa(seq) }
func kvKey(k int) string    { return "chain/kv/" + strconv.Itoa(k) }

// load reads the durable state back after a (re)start.
func (n *Node) load() {
	st := n.env.Store()
	if b, ok := st.Get("chain/boot"); ok {
		n.boot, _ = strconv.ParseInt(string(b), 10, 64)
	}
	n.boot++
	st.Put("chain/boot", strconv.AppendInt(nil, n.boot, 10))
	st.Sync()

	n.kv = map[int]int{}
	var m meta
	if b, ok := st.Get("chain/meta"); ok {
		if err := json.Unmarshal(b, &m); err != nil {
			n.env.Logf("corrupt meta: %v", err)
		}
	} else {
		m.Ready = true // a fresh server starts empty, and so does everyone
	}
	n.applied, n.acked, n.ready = m.Applied, m.Acked, m.Ready
	var keys []int
	if b, ok := st.Get("chain/keys"); ok {
		_ = json.Unmarshal(b, &keys)
	}
	for _, k := range keys {
		if b, ok := st.Get(kvKey(k)); ok {
			v, err := strconv.Atoi(string(b))
			if err == nil {
				n.kv[k] = v
			}
		}
	}
	for _, id := range n.env.NodeIDs() {
		if b, ok := st.Get("chain/seen/" + id); ok {
			var rids []int64
			if json.Unmarshal(b, &rids) == nil {
				n.seen[id] = rids
			}
		}
	}
	for s := n.acked + 1; s <= n.applied; s++ {
		var e Entry
		b, ok := st.Get(logKey(s))
		if !ok || json.Unmarshal(b, &e) != nil {
			n.env.Logf("Sent list entry %d missing: copy unusable", s)
			n.ready = false
			break
		}
		n.sent = append(n.sent, e)
	}
}

func (n *Node) putMeta() {
	b, _ := json.Marshal(meta{Applied: n.applied, Acked: n.acked, Ready: n.ready})
	n.env.Store().Put("chain/meta", b)
}

func (n *Node) putKeys() {
	keys := make([]int, 0, len(n.kv))
	for k := range n.kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b, _ := json.Marshal(keys)
	n.env.Store().Put("chain/keys", b)
}

func (n *Node) setKV(k, v int) {
	_, had := n.kv[k]
	n.kv[k] = v
	n.env.Store().Put(kvKey(k), strconv.AppendInt(nil, int64(v), 10))
	if !had {
		n.putKeys()
	}
}

// setAcked prunes the Sent list up to seq.
func (n *Node) setAcked(seq int) {
	seq = min(seq, n.applied)
	if seq <= n.acked {
		return
	}
	old := n.acked
	n.sent = n.sent[seq-old:]
	n.acked = seq
	n.putMeta() // before the deletes, so a crash never keeps these without those
	for s := old + 1; s <= seq; s++ {
		n.env.Store().Delete(logKey(s))
	}
}

// markUnusable records that this copy must be replaced by a snapshot
// before it serves again: the server left the chain.
func (n *Node) markUnusable() {
	if !n.ready {
		return
	}
	n.ready = false
	n.putMeta()
	n.env.Store().Sync()
}

// ---- configuration ----

func (n *Node) member() bool { return n.pos >= 0 }
func (n *Node) isHead() bool { return n.pos == 0 }
func (n *Node) isTail() bool { return n.pos >= 0 && n.pos == len(n.cfg.Chain)-1 }

func (n *Node) pred() string {
	if n.pos > 0 {
		return n.cfg.Chain[n.pos-1]
	}
	return ""
}

func (n *Node) succ() string {
	if n.pos >= 0 && n.pos+1 < len(n.cfg.Chain) {
		return n.cfg.Chain[n.pos+1]
	}
	return ""
}

func (n *Node) initialConfig() Config {
	return Config{Epoch: 0, Chain: slices.Clone(n.env.NodeIDs())}
}

// fetchConfig reads the configuration from the master.
func (n *Node) fetchConfig() {
	if n.fetching {
		return
	}
	n.fetching = true
	n.env.RPC(master, "read", kvReadReq{Key: configKey}, rpcTimeout, func(resp maelstrom.Msg, err error) {
		n.fetching = false
		switch {
		case err == nil:
			body, derr := maelstrom.Decode[kvReadOK](resp)
			var s string
			if derr == nil {
				derr = json.Unmarshal(body.Value, &s)
			}
			c, cerr := decodeConfig(s)
			if derr != nil || cerr != nil {
				n.env.Logf("unreadable configuration from the master: %v %v", derr, cerr)
				return
			}
			n.adopt(c)
		case maelstrom.ErrorCode(err) == maelstrom.KeyDoesNotExist:
			n.adopt(n.initialConfig()) // nobody has changed it yet
		}
	})
}

// adopt takes c if it is newer than what this node has, and acts on what
// changed for it.
func (n *Node) adopt(c Config) {
	if n.started && c.Epoch <= n.cfg.Epoch {
		return
	}
	oldPred, oldSucc, wasMember := n.pred(), n.succ(), n.member()
	if !n.started {
		oldPred, oldSucc, wasMember = "?", "?", false
	}
	n.cfg = c
	n.pos = slices.Index(c.Chain, n.env.ID())
	clear(n.ahead)
	n.env.Logf("configuration %s", c.encode())
	if !n.started {
		n.started = true
		// Serve what waited for the configuration once this settles.
		early := n.early
		n.early = nil
		defer func() {
			for _, m := range early {
				n.Handle(m)
			}
		}()
	}
	if !n.member() {
		n.env.SetRole("standby")
		// Whatever this copy holds, the chain moved on without it: it may
		// come back only with a snapshot.
		n.markUnusable()
		return
	}
	switch {
	case len(c.Chain) == 1 || n.isHead():
		n.env.SetRole("head")
	case n.isTail():
		n.env.SetRole("tail")
	default:
		n.env.SetRole("middle")
	}
	if !wasMember {
		n.predContact, n.succContact = n.ticks, n.ticks
	}
	if p := n.pred(); p != oldPred {
		n.predContact = n.ticks
	}
	if s := n.succ(); s != oldSucc {
		n.succContact, n.succApplied = n.ticks, -1
		if s != "" && n.ready && len(n.sent) > 0 {
			// The paper's reconfiguration step: send the new successor
			// our Sent list; it ignores what it already has.
			n.env.Send(s, "chain_fwd", fwdBody{Epoch: n.cfg.Epoch, Entries: slices.Clone(n.sent)})
		}
	}
	n.settleTail()
}

// propose asks the master to replace the configuration with next.
func (n *Node) propose(next Config, why string) {
	if n.proposing {
		return
	}
	n.proposing = true
	from := n.cfg.encode()
	req := kvCASReq{Key: configKey, From: from, To: next.encode(), Create: n.cfg.Epoch == 0}
	n.env.RPC(master, "cas", req, rpcTimeout, func(_ maelstrom.Msg, err error) {
		n.proposing = false
		if err != nil {
			n.env.Logf("proposal %s (%s) failed: %v", next.encode(), why, err)
			n.fetchConfig()
			return
		}
		n.env.Logf("master: %s: %s", why, next.encode())
		n.adopt(next)
		// Tell the new chain; the removed are taken to be dead.
		for _, id := range next.Chain {
			if id != n.env.ID() {
				n.env.Send(id, "chain_config", configBody{Config: next.encode()})
			}
		}
	})
}

func (n *Node) remove(x string) {
	next := Config{Epoch: n.cfg.Epoch + 1}
	for _, id := range n.cfg.Chain {
		if id != x {
			next.Chain = append(next.Chain, id)
		}
	}
	n.propose(next, "remove "+x)
}

func (n *Node) handleConfig(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[configBody](msg)
	if err != nil {
		return
	}
	if c, err := decodeConfig(b.Config); err == nil && n.started {
		n.adopt(c)
	}
}

// checkEpoch compares a message's epoch with ours: a newer one sends us to
// the master, an older one is answered with ours. It reports whether they
// agree.
func (n *Node) checkEpoch(msg maelstrom.Msg, epoch int) bool {
	switch {
	case !n.started:
		return false
	case epoch > n.cfg.Epoch:
		n.fetchConfig()
		return false
	case epoch < n.cfg.Epoch:
		n.env.Send(msg.Src, "chain_stale", epochBody{Epoch: n.cfg.Epoch})
		return false
	}
	return true
}

// ---- heartbeats and the master's duties ----

func (n *Node) onTick() {
	n.env.SetTimer(tick, n.onTick)
	n.ticks++
	if !n.started && n.ticks%pollEvery == n.pollPhase {
		n.fetchConfig()
	}
	if !n.started {
		return
	}
	if !n.member() {
		if n.ticks%joinEvery == 0 {
			n.env.Send(n.cfg.Chain[len(n.cfg.Chain)-1], "chain_join", epochBody{Epoch: n.cfg.Epoch})
		}
		return
	}
	if s := n.succ(); s != "" {
		n.ping(s)
		if n.ready && n.ticks-n.succContact > suspectAfter {
			n.remove(s)
		}
	}
	if n.pos == 1 && n.ready && n.ticks-n.predContact > suspectAfter {
		n.remove(n.pred()) // the head: nobody else watches it
	}
}

func (n *Node) ping(s string) {
	epoch := n.cfg.Epoch
	n.env.RPC(s, "chain_ping", epochBody{Epoch: epoch}, rpcTimeout, func(resp maelstrom.Msg, err error) {
		if err != nil {
			return
		}
		b, derr := maelstrom.Decode[pingOKBody](resp)
		if derr != nil {
			return
		}
		if b.Epoch > n.cfg.Epoch {
			n.fetchConfig()
			return
		}
		if b.Epoch != n.cfg.Epoch || epoch != n.cfg.Epoch || s != n.succ() {
			return
		}
		n.succContact = n.ticks
		n.syncSucc(b.Applied, b.Ready)
	})
}

// syncSucc brings the successor up to date from what it reports.
func (n *Node) syncSucc(applied int, ready bool) {
	s := n.succ()
	if s == "" || !n.ready {
		return
	}
	prevSucc, prevMine := n.succApplied, n.mineThen
	n.succApplied, n.mineThen = applied, n.applied
	switch {
	case !ready || applied < n.acked:
		// It has nothing usable, or lacks updates no longer in our Sent
		// list: give it our whole state (the paper's state transfer to a
		// new tail).
		n.env.Send(s, "chain_snapshot", n.snapshot())
	case applied < n.applied && applied == prevSucc && prevMine > applied:
		// It already lacked updates at the last heartbeat and has made
		// no progress since: resend what it lacks.
		n.env.Send(s, "chain_fwd", fwdBody{Epoch: n.cfg.Epoch, Entries: slices.Clone(n.sent[applied-n.acked:])})
	}
}

func (n *Node) snapshot() snapshotBody {
	keys := make([]int, 0, len(n.kv))
	for k := range n.kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kv := make([][2]int, len(keys))
	for i, k := range keys {
		kv[i] = [2]int{k, n.kv[k]}
	}
	return snapshotBody{Epoch: n.cfg.Epoch, Applied: n.applied, Acked: n.acked, KV: kv, Sent: slices.Clone(n.sent)}
}

func (n *Node) handlePing(msg maelstrom.Msg) {
	if !n.started {
		return // not yet able to say where it stands
	}
	b, err := maelstrom.Decode[epochBody](msg)
	if err != nil {
		return
	}
	if b.Epoch > n.cfg.Epoch {
		n.fetchConfig()
	}
	if b.Epoch == n.cfg.Epoch && msg.Src == n.pred() {
		n.predContact = n.ticks
	}
	n.env.Reply(msg, "chain_ping_ok", pingOKBody{Epoch: n.cfg.Epoch, Applied: n.applied, Ready: n.ready})
}

func (n *Node) handleJoin(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[epochBody](msg)
	if err != nil || !n.started || !n.isTail() || !n.ready || b.Epoch > n.cfg.Epoch {
		return
	}
	if slices.Contains(n.cfg.Chain, msg.Src) || !slices.Contains(n.env.NodeIDs(), msg.Src) {
		return
	}
	next := Config{Epoch: n.cfg.Epoch + 1, Chain: append(slices.Clone(n.cfg.Chain), msg.Src)}
	n.propose(next, "add "+msg.Src+" at the tail")
}

// ---- updates ----

// apply applies entries that continue our sequence, syncs, and passes the
// new ones on: down the chain, or, at the tail, as outcomes and an
// acknowledgement.
func (n *Node) apply(entries []Entry) {
	var fresh []Entry
	for _, e := range entries {
		if e.Seq <= n.applied {
			continue // a duplicate
		}
		if e.Seq != n.applied+1 {
			break // a gap: the predecessor will resend
		}
		if e.Set {
			n.setKV(e.Key, e.Value)
		}
		n.applied = e.Seq
		fresh = append(fresh, e)
		if !n.isTail() {
			b, _ := json.Marshal(e)
			n.env.Store().Put(logKey(e.Seq), b)
			n.sent = append(n.sent, e)
		}
	}
	if len(fresh) == 0 {
		if n.isTail() && len(entries) > 0 {
			n.ackUp() // our acknowledgement may have been lost
		}
		return
	}
	if n.isTail() {
		n.acked = n.applied
	}
	n.putMeta()
	n.env.Store().Sync()
	if n.isTail() {
		for _, e := range fresh {
			n.tellOutcome(e)
		}
		n.ackUp()
		return
	}
	n.env.Send(n.succ(), "chain_fwd", fwdBody{Epoch: n.cfg.Epoch, Entries: fresh})
}

// settleTail makes a new tail commit its Sent list: its updates are now
// at the end of the chain.
func (n *Node) settleTail() {
	if !n.isTail() || !n.ready || n.acked >= n.applied {
		return
	}
	for _, e := range n.sent {
		n.tellOutcome(e)
	}
	n.setAcked(n.applied)
	n.env.Store().Sync()
	n.ackUp()
}

func (n *Node) ackUp() {
	if p := n.pred(); p != "" {
		n.env.Send(p, "chain_ack", ackBody{Epoch: n.cfg.Epoch, Seq: n.acked, Applied: n.applied})
	}
}

func (n *Node) tellOutcome(e Entry) {
	body := resultBody{RID: e.RID, F: e.F, Code: e.Code, Text: e.Text}
	if e.Origin == n.env.ID() {
		n.outcome(body)
		return
	}
	n.env.Send(e.Origin, "chain_result", body)
}

func (n *Node) handleFwd(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[fwdBody](msg)
	if err != nil || !n.checkEpoch(msg, b.Epoch) || msg.Src != n.pred() {
		return
	}
	n.predContact = n.ticks
	if !n.ready {
		return // waiting for a snapshot
	}
	n.apply(n.receive(b.Entries))
}

// receive passes forwarded entries through the receive buffer: it returns
// the ones that continue our sequence, with the buffered ones they make
// contiguous, and keeps those past a gap. When nothing continues the
// sequence, the entries go on as they came: apply ignores duplicates and a
// tail acknowledges again on them.
func (n *Node) receive(entries []Entry) []Entry {
	for _, e := range entries {
		if e.Seq > n.applied && e.Seq <= n.applied+window {
			n.ahead[e.Seq] = e
		}
	}
	var run []Entry
	for seq := n.applied + 1; ; seq++ {
		e, ok := n.ahead[seq]
		if !ok {
			break
		}
		run = append(run, e)
		delete(n.ahead, seq)
	}
	if len(run) == 0 {
		return entries
	}
	return run
}

func (n *Node) handleAck(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[ackBody](msg)
	if err != nil || !n.checkEpoch(msg, b.Epoch) || msg.Src != n.succ() || !n.ready {
		return
	}
	n.succContact = n.ticks
	if b.Seq > n.acked {
		n.setAcked(b.Seq)
		n.ackUp()
	}
}

func (n *Node) handleSnapshot(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[snapshotBody](msg)
	if err != nil || !n.checkEpoch(msg, b.Epoch) || msg.Src != n.pred() {
		return
	}
	if n.ready && b.Applied <= n.applied {
		return // a duplicate or an older copy
	}
	st := n.env.Store()
	for k := range n.kv {
		st.Delete(kvKey(k))
	}
	for s := n.acked + 1; s <= n.applied; s++ {
		st.Delete(logKey(s))
	}
	n.kv = map[int]int{}
	for _, p := range b.KV {
		n.kv[p[0]] = p[1]
		st.Put(kvKey(p[0]), strconv.AppendInt(nil, int64(p[1]), 10))
	}
	n.putKeys()
	n.sent = slices.Clone(b.Sent)
	for _, e := range n.sent {
		eb, _ := json.Marshal(e)
		st.Put(logKey(e.Seq), eb)
	}
	n.applied, n.acked, n.ready = b.Applied, b.Acked, true
	clear(n.ahead)
	n.putMeta()
	st.Sync()
	n.env.Logf("installed a snapshot at %d from %s", b.Applied, msg.Src)
	n.predContact = n.ticks
	n.settleTail()
	n.ackUp()
}

// ---- the head ----

// recorder lets kvstate.Apply decide an update without applying it.
type recorder struct {
	kv    map[int]int
	set   bool
	value int
}

func (r *recorder) Get(k int) (int, bool) { v, ok := r.kv[k]; return v, ok }
func (r *recorder) Set(_, v int)          { r.set, r.value = true, v }

func (n *Node) handleSubmit(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[submitBody](msg)
	if err != nil {
		return
	}
	n.submit(msg.Src, b)
}

func (n *Node) submit(origin string, b submitBody) {
	if !n.started || !n.isHead() || !n.ready {
		// Nothing done: a definite error the entry node passes on.
		n.tell(origin, resultBody{RID: b.RID, F: b.Op.F, Code: maelstrom.TemporarilyUnavailable, Text: "not the head of the chain"})
		return
	}
	if slices.Contains(n.seen[origin], b.RID) {
		return // a duplicate: the original was taken
	}
	recent := append(n.seen[origin], b.RID)
	if len(recent) > remembered {
		recent = recent[len(recent)-remembered:]
	}
	n.seen[origin] = recent
	rb, _ := json.Marshal(recent)
	n.env.Store().Put("chain/seen/"+origin, rb) // synced with the entry below
	r := &recorder{kv: n.kv}
	res := kvstate.Apply(r, b.Op)
	e := Entry{
		Seq: n.applied + 1, Key: b.Op.Key, Set: r.set, Value: r.value, F: b.Op.F,
		Code: res.Code, Text: res.Text, Origin: origin, RID: b.RID,
	}
	n.apply([]Entry{e})
	if n.replyAtHead {
		n.tellOutcome(e)
	}
}

func (n *Node) tell(origin string, body resultBody) {
	if origin == n.env.ID() {
		n.outcome(body)
		return
	}
	n.env.Send(origin, "chain_result", body)
}

// ---- the entry node ----

func (n *Node) clientUpdate(msg maelstrom.Msg) {
	op, _, err := kvstate.Decode(msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	if !n.started {
		n.early = append(n.early, msg)
		return
	}
	n.nextRID++
	rid := n.boot<<32 | n.nextRID
	req := &request{msg: msg, op: op}
	req.timer = n.env.SetTimer(opDeadline, func() {
		if n.pending[rid] == req {
			delete(n.pending, rid)
			n.env.ReplyError(msg, maelstrom.Timeout, fmt.Sprintf("%s of key %d: no outcome from the chain within %v", op.F, op.Key, opDeadline))
		}
	})
	n.pending[rid] = req
	body := submitBody{RID: rid, Op: op}
	if head := n.cfg.Chain[0]; head != n.env.ID() {
		n.env.Send(head, "chain_submit", body)
		return
	}
	n.submit(n.env.ID(), body)
}

func (n *Node) handleResult(msg maelstrom.Msg) {
	if b, err := maelstrom.Decode[resultBody](msg); err == nil {
		n.outcome(b)
	}
}

func (n *Node) outcome(b resultBody) {
	req := n.pending[b.RID]
	if req == nil {
		return // answered already, timed out, or from before a restart
	}
	delete(n.pending, b.RID)
	n.env.CancelTimer(req.timer)
	kvstate.Result{Code: b.Code, Text: b.Text}.Reply(n.env, req.msg, req.op)
}

func (n *Node) clientRead(msg maelstrom.Msg) {
	op, _, err := kvstate.Decode(msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	if !n.started {
		n.early = append(n.early, msg)
		return
	}
	tail := n.cfg.Chain[len(n.cfg.Chain)-1]
	if tail == n.env.ID() {
		n.serveRead(msg, op)
		return
	}
	n.env.RPC(tail, "chain_read", maelstrom.ReadBody{Key: op.Key}, opDeadline, func(resp maelstrom.Msg, err error) {
		kvstate.ReplyWith(n.env, msg, resp, err)
	})
}

func (n *Node) handleRead(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[maelstrom.ReadBody](msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	n.serveRead(msg, kvstate.Op{F: "read", Key: b.Key})
}

// serveRead answers a query if this node believes it is the tail: the
// paper's tail answers every query it receives.
func (n *Node) serveRead(msg maelstrom.Msg, op kvstate.Op) {
	if !n.started || !n.isTail() || !n.ready {
		n.env.ReplyError(msg, maelstrom.TemporarilyUnavailable, "not the tail of the chain")
		return
	}
	kvstate.Apply(kvstate.Map(n.kv), op).Reply(n.env, msg, op)
}
