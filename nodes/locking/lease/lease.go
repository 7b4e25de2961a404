// Package lease is a lock server that grants leases: a lock held for a
// bounded time, after which the server may grant it to someone else
// without hearing from the holder. Two strategies share it: `lease`, whose
// holders trust their own clocks, and `lease-fenced`, whose grants carry a
// fencing token that the protected resource checks.
//
// Sources: Cary G. Gray and David R. Cheriton, "Leases: An Efficient
// Fault-Tolerant Mechanism for Distributed File Cache Consistency", SOSP
// 1989 (leases, and their dependence on clocks whose drift is bounded);
// Mike Burrows, "The
// Chubby lock service for loosely-coupled distributed systems", OSDI 2006
// (§2.4 sequencers; a new master waits out the lease timeout before it
// grants); Martin Kleppmann, "How to do distributed locking", 2016, and
// Designing Data-Intensive Applications (2017), ch. 8 "Process Pauses" and
// "The leader and the lock" (fencing tokens).
//
// Node n0 is the lock server; the other nodes forward to it, as in primary
// site locking. A grant is a lease of the ttl_ms the client asks for (1 s
// when it asks none, at most 10 s), and expires_ms says how long: the
// client counts it from when it sent its request, so by its own clock its
// lease ends no later than the server's. The server decides expiry by its
// own clock: a lock whose lease has run out on it is free. Its table lives
// in memory, so a restarted server grants nothing until the longest lease
// it ever granted (kept durably) has run out, as Chubby's new master
// waits. Every grant's token comes from a durable counter and so grows:
// a fencing token, whether or not anybody checks it.
//
// Expected behaviour: a lease is safe while every party's clock runs at
// the rate it should and no holder stops for longer than its lease. A
// holder paused between its lease check and its write (Kleppmann's GC
// pause) resumes after its lease ran out and another client took the lock,
// and writes anyway: unsafe under pause. A server whose clock jumps
// forward expires every lease early and grants the locks again while
// their holders still work: unsafe under clock. With fencing the resource
// refuses the stale holder's accesses once the new holder, with a higher
// token, has touched it: safe under both.
package lease

import (
	"strconv"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/locking/locktable"
)

// Server is the lock server's node.
const Server = "n0"

const (
	// DefaultLease is the lease of a client that asks for none.
	DefaultLease = time.Second
	// MaxLease caps what a client may ask for.
	MaxLease = 10 * time.Second
	// maxWait is how long an acquire waits for a held lock before it is
	// refused: below the forwarding nodes' and the clients' patience.
	maxWait = 500 * time.Millisecond
	// expiryTick is how often the server looks at its clock for leases
	// that have run out while others wait.
	expiryTick     = 5 * time.Millisecond
	forwardTimeout = time.Second
)

const (
	bootedKey  = "lease/booted"
	longestKey = "lease/longest-ns" // the longest lease ever granted
)

// Node is one node: the lock server, or one that forwards to it.
type Node struct {
	env     nodes.Env
	mux     *nodes.Mux
	table   *locktable.Table // the server's
	longest time.Duration
	waiting bool // a restarted server waiting out the leases it may have granted
	// queues are the acquires waiting for each lock, in arrival order.
	queues map[string][]*waiter
	locks  []string // the locks with waiters, in the order they got them
}

// waiter is an acquire waiting for a held lock.
type waiter struct {
	req  maelstrom.Msg
	body maelstrom.AcquireBody
	done bool
}

// New returns a node.
func New() nodes.Node { return &Node{} }

// Init starts the server, waiting out old leases after a restart.
func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.mux = nodes.NewMux(env)
	n.mux.Handle("acquire", n.acquire)
	n.mux.Handle("release", n.release)
	if env.ID() != Server {
		return
	}
	env.SetRole("manager")
	n.table = locktable.DurableCounter(env.Store())
	n.queues = map[string][]*waiter{}
	env.SetTimer(expiryTick, n.onTick)
	if b, ok := env.Store().Get(longestKey); ok {
		ns, _ := strconv.ParseInt(string(b), 10, 64)
		n.longest = time.Duration(ns)
	}
	if _, restarted := env.Store().Get(bootedKey); restarted && n.longest > 0 {
		// Its table is gone; a lease it granted may still be running.
		n.waiting = true
		env.Logf("restarted: granting nothing for %v, the longest lease granted", n.longest)
		env.SetTimer(n.longest, func() { n.waiting = false })
	}
	env.Store().Put(bootedKey, nil)
	env.Store().Sync()
}

// Handle serves a request.
func (n *Node) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

func (n *Node) acquire(req maelstrom.Msg) {
	b, ok := locktable.DecodeAcquire(n.env, req)
	if !ok {
		return
	}
	if n.table == nil {
		n.forward(req, "acquire", b)
		return
	}
	if n.waiting {
		n.env.ReplyError(req, maelstrom.TemporarilyUnavailable, "restarted: waiting out earlier leases")
		return
	}
	e := n.table.Entry(b.Lock)
	holder := e.Held(n.env.Now()) && e.Owner == b.Client
	if !holder && (e.Held(n.env.Now()) || len(n.queues[b.Lock]) > 0) {
		n.enqueue(req, b) // Chubby's Acquire blocks until the lock is free
		return
	}
	n.grant(req, b)
}

// grant answers an acquire from the table: a lease, or a refusal.
func (n *Node) grant(req maelstrom.Msg, b maelstrom.AcquireBody) {
	ttl := DefaultLease
	if b.TTLMS > 0 {
		ttl = min(time.Duration(b.TTLMS)*time.Millisecond, MaxLease)
	}
	if ttl > n.longest {
		n.longest = ttl
		n.env.Store().Put(longestKey, strconv.AppendInt(nil, int64(ttl), 10))
	}
	if e := n.table.Entry(b.Lock); e.Owner != "" && e.Owner != b.Client && !e.Held(n.env.Now()) {
		n.env.Logf("%s's lease of %s ran out %v ago by this clock, unreleased: granting to %s", e.Owner, b.Lock, n.env.Now()-e.Expires, b.Client)
	}
	g, err := n.table.Acquire(b.Lock, b.Client, n.env.Now(), ttl)
	n.env.Store().Sync() // the token counter and the longest lease
	locktable.ReplyAcquire(n.env, req, g, err, n.env.ID())
}

func (n *Node) release(req maelstrom.Msg) {
	b, ok := locktable.DecodeRelease(n.env, req)
	if !ok {
		return
	}
	if n.table == nil {
		n.forward(req, "release", b)
		return
	}
	locktable.ReplyRelease(n.env, req, n.table.Release(b.Lock, b.Client, b.Token, n.env.Now()))
	n.serve(b.Lock)
}

// enqueue makes an acquire wait for its lock, for at most maxWait.
func (n *Node) enqueue(req maelstrom.Msg, b maelstrom.AcquireBody) {
	w := &waiter{req: req, body: b}
	if len(n.queues[b.Lock]) == 0 {
		n.locks = append(n.locks, b.Lock)
	}
	n.queues[b.Lock] = append(n.queues[b.Lock], w)
	n.env.SetTimer(maxWait, func() {
		if !w.done {
			w.done = true
			n.env.ReplyError(req, maelstrom.LockHeld, "still held after waiting")
		}
	})
}

// serve grants lock to its waiters in turn while it is free, by this
// server's clock.
func (n *Node) serve(lock string) {
	q := n.queues[lock]
	for len(q) > 0 {
		w := q[0]
		if w.done {
			q = q[1:]
			continue
		}
		if e := n.table.Entry(lock); e.Held(n.env.Now()) && e.Owner != w.body.Client {
			break
		}
		w.done = true
		q = q[1:]
		n.grant(w.req, w.body)
	}
	n.queues[lock] = q
	if len(q) == 0 {
		delete(n.queues, lock)
	}
}

// onTick looks at the clock for leases that ran out while others wait:
// the moment this server's clock says so, the next waiter has the lock.
func (n *Node) onTick() {
	kept := n.locks[:0]
	for _, lock := range n.locks {
		n.serve(lock)
		if len(n.queues[lock]) > 0 {
			kept = append(kept, lock)
		}
	}
	n.locks = kept
	n.env.SetTimer(expiryTick, n.onTick)
}

func (n *Node) forward(req maelstrom.Msg, typ string, body any) {
	n.env.RPC(Server, typ, body, forwardTimeout, func(resp maelstrom.Msg, err error) {
		locktable.Relay(n.env, req, resp, err)
	})
}
