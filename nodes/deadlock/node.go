package deadlock

import (
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// Timing constants. Latencies in the simulator are a few milliseconds.
const (
	// retryAfter is how long a coordinator waits for a participant's
	// answer before repeating the request.
	retryAfter = 500 * time.Millisecond
	// maxAttempts bounds a transaction's attempts; after the last abort
	// the client is told txn-conflict.
	maxAttempts = 10
	// backoffUnit scales the random pause before a restart: up to
	// backoffUnit * 2^attempt, capped at 64 units, so that two
	// transactions that keep aborting each other drift apart.
	backoffUnit = time.Millisecond
)

// Node is a node of the sharded store: the site (participant) for the keys
// that hash to it, and the coordinator of the transactions its clients send.
type Node struct {
	env    nodes.Env
	policy Policy
	mux    *nodes.Mux
	sites  []string
	self   string
	inc    int // incarnation, so that transaction names never repeat
	site   *Site
	coord  *Coordinator
	// maxAttempts is maxAttempts but for tests that let a transaction try
	// for ever.
	maxAttempts int
	// watch, in tests, sees transactions begin, abort and end.
	watch watcher
	// protocol and orphanAfter are Options' (protocol.go).
	protocol    Protocol
	orphanAfter time.Duration
}

// watcher sees a coordinator's transactions begin, abort and end, so that
// tests can check what the policies promise about them. Nil outside tests.
// Times are seconds on the coordinator's clock; an abort's is when it took
// effect (see Coordinator.abort).
type watcher interface {
	Begin(id string, ts TS, at float64)
	Abort(id string, ts TS, cause string, at float64)
	End(id string, at float64)
}

// NewNode returns a node using policy on lock conflicts.
func NewNode(policy Policy) *Node { return &Node{policy: policy, maxAttempts: maxAttempts} }

// Init implements nodes.Node.
func (n *Node) Init(env nodes.Env) {
	n.env, n.sites, n.self = env, env.NodeIDs(), env.ID()
	n.inc = 1
	if b, ok := env.Store().Get("incarnation"); ok {
		n.inc, _ = strconv.Atoi(string(b))
		n.inc++
	}
	env.Store().Put("incarnation", []byte(strconv.Itoa(n.inc)))
	env.Store().Sync()
	n.site, n.coord = newSite(n), newCoordinator(n)
	n.mux = nodes.NewMux(env)
	// Clients.
	n.mux.Handle("bank_init", n.coord.bankInit)
	n.mux.Handle("read", n.coord.bankRead)
	n.mux.Handle("transfer", n.coord.transfer)
	n.mux.Handle("txn", n.coord.txn)
	// Coordinator to participant.
	serve(n, "lock", n.site.lock)
	serve(n, "release", n.site.release)
	serve(n, "apply", n.site.apply)
	// To a coordinator: wounds and deadlock victims.
	serve(n, "wound", n.coord.wounded)
	notice(n, "abort", n.coord.abortRequested)
	n.policy.Start(n)
	if n.protocol != nil {
		n.protocol.Start(n)
	}
}

// Handle implements nodes.Node.
func (n *Node) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

// siteOf is the node that owns key: a hash of the key over the nodes.
func (n *Node) siteOf(key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return n.sites[int(h.Sum32()%uint32(len(n.sites)))]
}

// later runs f as a fresh event, as a delivery would: a call to this
// node's own site or coordinator never runs inside the caller's step.
func (n *Node) later(f func()) { n.env.SetTimer(0, f) }

// serve answers requests of type typ with a site or coordinator method.
func serve[Req, Resp any](n *Node, typ string, f func(Req, func(Resp))) {
	n.mux.Handle(typ, func(msg maelstrom.Msg) {
		req, err := maelstrom.Decode[Req](msg)
		if err != nil {
			n.env.ReplyError(msg, maelstrom.MalformedRequest, typ+": "+err.Error())
			return
		}
		f(req, func(resp Resp) { n.env.Reply(msg, typ+"_ok", resp) })
	})
}

// notice handles one-way messages of type typ.
func notice[Req any](n *Node, typ string, f func(Req)) {
	n.mux.Handle(typ, func(msg maelstrom.Msg) {
		if req, err := maelstrom.Decode[Req](msg); err == nil {
			f(req)
		}
	})
}

// ask sends a request to a site and calls cb with its answer. To another
// node it is a message repeated every retryAfter until answered, as long
// as still() holds; to this node, a direct call to serveLocal.
func ask[Req, Resp any](n *Node, dest, typ string, req Req, serveLocal func(Req, func(Resp)), still func() bool, cb func(Resp)) {
	if dest == n.self {
		n.later(func() { serveLocal(req, func(r Resp) { n.later(func() { cb(r) }) }) })
		return
	}
	var try func()
	try = func() {
		n.env.RPC(dest, typ, req, retryAfter, func(resp maelstrom.Msg, err error) {
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

// tell sends a one-way message; to this node it is dispatched as if it had
// arrived.
func (n *Node) tell(dest, typ string, body any) {
	if dest == n.self {
		n.later(func() { n.mux.Dispatch(maelstrom.Msg{Src: n.self, Dest: n.self, Type: typ, Body: body}) })
		return
	}
	n.env.Send(dest, typ, body)
}

// Keys in the durable store.
func dataKey(key string) string     { return "v/" + key }
func appliedKey(name string) string { return "applied/" + name }

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func compareNames(a, b string) int { return strings.Compare(a, b) }
