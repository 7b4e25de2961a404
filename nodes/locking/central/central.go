// Package central is primary site locking: one lock manager for the whole
// system.
//
// Source: Elmasri & Navathe, Fundamentals of Database Systems (7th ed.,
// 2016), ch. 23, "Primary Site Technique"; Özsu & Valduriez, Principles of
// Distributed Database Systems (3rd ed., 2011), §11.3.1, "Centralized
// 2PL": one site is the coordinator for every item, so every lock is kept
// there and every request to lock or unlock is sent there.
//
// Node n0 is the primary site: it keeps the lock table (locktable) in its
// durable store and syncs it before it answers, so a restarted n0 has
// every grant it made. Every other node forwards acquire and release to n0
// and relays the answer: a lock costs a round trip to n0, 2 messages at
// n0 and 4 through another node. A forward that gets no answer within a
// second is answered with an indefinite timeout, since n0 may have granted
// it. The lock table grants a repeated acquire to the owner that holds the
// lock and never grants an owner that has released, so duplicated and
// delayed messages cannot leave a lock held by a client that has moved on.
//
// Expected behaviour: safe under every fault, since there is one table and
// one site applying requests one at a time; unavailable while n0 is down,
// paused or cut off from the node a client talks to, which is the
// technique's known weakness (the primary site is a single point of
// failure and a bottleneck). Locks are held until released: a holder that
// pauses keeps its lock, which costs availability, not safety.
package central

import (
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/locking/locktable"
)

// Manager is the primary site.
const Manager = "n0"

// forwardTimeout is how long a forwarding node waits for n0; below the
// clients' own patience, so that they hear the outcome is unknown.
const forwardTimeout = time.Second

// Node is one node of primary site locking, or of any scheme in which each
// lock has one managing site and no backup (primary copy is the other).
type Node struct {
	env       nodes.Env
	mux       *nodes.Mux
	managerOf func(lock string, nodeIDs []string) string
	table     *locktable.Table // the locks this site manages
}

// New returns a node of primary site locking: n0 manages every lock.
func New() nodes.Node {
	return &Node{managerOf: func(string, []string) string { return Manager }}
}

// WithManager returns nodes in which managerOf names the site that
// manages a lock: its table is there, synced before it answers, and the
// other sites forward to it.
func WithManager(managerOf func(lock string, nodeIDs []string) string) func() nodes.Node {
	return func() nodes.Node { return &Node{managerOf: managerOf} }
}

// Init recovers the site's table from its store.
func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.mux = nodes.NewMux(env)
	n.mux.Handle("acquire", n.acquire)
	n.mux.Handle("release", n.release)
	n.table = locktable.Durable(env.Store())
	if n.managerOf("", env.NodeIDs()) == env.ID() {
		env.SetRole("manager") // primary site locking: the one site that manages
	}
}

// Handle serves a request.
func (n *Node) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

func (n *Node) acquire(req maelstrom.Msg) {
	b, ok := locktable.DecodeAcquire(n.env, req)
	if !ok {
		return
	}
	if m := n.managerOf(b.Lock, n.env.NodeIDs()); m != n.env.ID() {
		n.forward(m, req, "acquire", b)
		return
	}
	// Leases are not the textbook lock manager's business: ttl_ms is
	// ignored and locks are held until released.
	g, err := n.table.Acquire(b.Lock, b.Client, n.env.Now(), 0)
	n.env.Store().Sync() // the grant is durable before anyone hears of it
	n.env.Logf("acquire %s by %s (from %s): token %d %v", b.Lock, b.Client, req.Src, g.Token, err)
	locktable.ReplyAcquire(n.env, req, g, err, n.env.ID())
}

func (n *Node) release(req maelstrom.Msg) {
	b, ok := locktable.DecodeRelease(n.env, req)
	if !ok {
		return
	}
	if m := n.managerOf(b.Lock, n.env.NodeIDs()); m != n.env.ID() {
		n.forward(m, req, "release", b)
		return
	}
	err := n.table.Release(b.Lock, b.Client, b.Token, n.env.Now())
	n.env.Store().Sync()
	n.env.Logf("release %s by %s token %d (from %s): %v", b.Lock, b.Client, b.Token, req.Src, err)
	locktable.ReplyRelease(n.env, req, err)
}

// forward sends a request to the lock's managing site and relays its
// answer.
func (n *Node) forward(manager string, req maelstrom.Msg, typ string, body any) {
	n.env.RPC(manager, typ, body, forwardTimeout, func(resp maelstrom.Msg, err error) {
		locktable.Relay(n.env, req, resp, err)
	})
}
