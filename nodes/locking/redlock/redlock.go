// Package redlock is Redis's Redlock: N independent lock servers with no
// replication between them; a client holds a lock when a majority of them
// granted it within its validity time.
//
// Source: "Distributed Locks with Redis" (the Redlock algorithm, redis.io
// documentation, by Salvatore Sanfilippo); Martin Kleppmann, "How to do
// distributed locking" (2016), and Sanfilippo's reply, "Is Redlock safe?"
// (2016).
//
// Every node is an independent instance keeping keys in memory, each with
// an expiry on the instance's own clock: SET key value NX PX ttl. The node
// a client talks to runs Redlock's client algorithm for it:
//
//  1. Note the current time (its own clock).
//  2. Ask every instance, itself included, to set the lock's key to the
//     owner's value with the TTL, with a timeout small against the TTL
//     (50 ms). An instance grants it when the key is free, its value has
//     expired, or it already holds this value.
//  3. Elapsed time is now minus the start. The lock is acquired if a
//     majority granted it and its validity, TTL minus elapsed time minus
//     clock drift (1% of the TTL plus 2 ms, as the reference
//     implementation allows), is positive.
//  4. Acquired: acquire_ok with the validity as expires_ms. Not acquired:
//     unlock every instance and refuse; the client retries after a random
//     delay.
//  5. Release deletes the key at every instance that holds the owner's
//     value (Redis's compare-and-delete script).
//
// Each attempt sets a value of its own, the owner's name and a random
// number (the algorithm asks for a value unique across all clients and all
// lock requests), so that a late unlock of a failed attempt cannot delete the
// key a later attempt set; an owner that asks again after a granted
// attempt, not having heard of it, gets the same value and grant. The
// token is the random number: it names the grant but does not grow, so
// nothing can fence with it. An instance that
// restarts has lost its keys; following the algorithm's section on crash
// recovery it answers nothing for the longest TTL it ever granted ("delayed
// restarts").
//
// Expected behaviour. Safety rests on timing: on every instance's clock
// running at the right rate, and on holders finishing within their
// validity. Kleppmann's two counterexamples are both within reach: a
// holder paused past its validity while others acquire the lock (unsafe
// under pause), and an instance whose clock jumps forward and expires its
// key early, handing a majority to a second client (unsafe under clock).
// Sanfilippo's reply accepts the clock assumption (bounded drift, with
// clocks slewed gradually rather than stepped) and argues that checking
// the time after acquiring covers delays before the grant; it does not
// cover a pause after the check, which is what the pause runs show.
// Partitions, crashes (with delayed restarts) and lost or late messages
// leave the majority argument intact: safe.
package redlock

import (
	"strconv"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/locking/locktable"
)

const (
	// DefaultTTL is the TTL of a client that asks for none; MaxTTL caps it.
	DefaultTTL = time.Second
	MaxTTL     = 10 * time.Second
	// instanceTimeout is how long the client waits for each instance.
	instanceTimeout = 50 * time.Millisecond
	releaseTimeout  = 500 * time.Millisecond
)

// drift is the clock drift Redlock allows for a TTL.
func drift(ttl time.Duration) time.Duration { return ttl/100 + 2*time.Millisecond }

// Bodies between a client's node and the instances.
type (
	setBody struct {
		Key   string `json:"key"`
		Value string `json:"value"`
		TTLMS int64  `json:"ttl_ms"`
	}
	setOKBody struct {
		OK bool `json:"ok"`
	}
	delBody struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	delOKBody struct {
		Deleted bool `json:"deleted"`
	}
)

// key is one instance's key: a value and when it expires on the
// instance's clock.
type key struct {
	value   string
	expires time.Duration
}

const (
	bootedKey  = "redlock/booted"
	longestKey = "redlock/longest-ns"
)

// Node is an instance, and the Redlock client for the clients that talk to
// it.
type Node struct {
	env     nodes.Env
	mux     *nodes.Mux
	keys    map[string]key // in memory: lost in a crash
	longest time.Duration
	waiting bool // restarted: answering nothing until every old key has expired
	peers   []string
	quorum  int
	// granted are the tokens of the owners whose last attempt here was
	// granted, for an owner that asks again.
	granted map[string]int64
}

// New returns a node.
func New() nodes.Node { return &Node{} }

// Init starts the instance, delaying its restart after a crash.
func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.keys = map[string]key{}
	n.granted = map[string]int64{}
	ids := env.NodeIDs()
	n.quorum = len(ids)/2 + 1
	for _, id := range ids {
		if id != env.ID() {
			n.peers = append(n.peers, id)
		}
	}
	if b, ok := env.Store().Get(longestKey); ok {
		ns, _ := strconv.ParseInt(string(b), 10, 64)
		n.longest = time.Duration(ns)
	}
	if _, restarted := env.Store().Get(bootedKey); restarted && n.longest > 0 {
		n.waiting = true
		env.Logf("restarted: unavailable for %v, the longest TTL granted", n.longest)
		env.SetTimer(n.longest, func() { n.waiting = false })
	}
	env.Store().Put(bootedKey, nil)
	env.Store().Sync()
	n.mux = nodes.NewMux(env)
	n.mux.Handle("acquire", n.acquire)
	n.mux.Handle("release", n.release)
	n.mux.Handle("rl_set", n.handleSet)
	n.mux.Handle("rl_del", n.handleDel)
}

// Handle serves a request.
func (n *Node) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

// ---- the instance ----

// set is SET key value NX PX ttl, granting again to the same value.
func (n *Node) set(b setBody) bool {
	if n.waiting {
		return false
	}
	now := n.env.Now()
	if k, ok := n.keys[b.Key]; ok && now < k.expires && k.value != b.Value {
		return false
	}
	ttl := time.Duration(b.TTLMS) * time.Millisecond
	if ttl > n.longest {
		n.longest = ttl
		n.env.Store().Put(longestKey, strconv.AppendInt(nil, int64(ttl), 10))
		n.env.Store().Sync()
	}
	n.keys[b.Key] = key{value: b.Value, expires: now + ttl}
	return true
}

// del deletes key if it holds value and has not expired.
func (n *Node) del(b delBody) bool {
	k, ok := n.keys[b.Key]
	if !ok || k.value != b.Value {
		return false
	}
	delete(n.keys, b.Key)
	return n.env.Now() < k.expires
}

func (n *Node) handleSet(req maelstrom.Msg) {
	b, err := maelstrom.Decode[setBody](req)
	if err != nil {
		n.env.ReplyError(req, maelstrom.MalformedRequest, err.Error())
		return
	}
	n.env.Reply(req, "rl_set_ok", setOKBody{OK: n.set(b)})
}

func (n *Node) handleDel(req maelstrom.Msg) {
	b, err := maelstrom.Decode[delBody](req)
	if err != nil {
		n.env.ReplyError(req, maelstrom.MalformedRequest, err.Error())
		return
	}
	n.env.Reply(req, "rl_del_ok", delOKBody{Deleted: n.del(b)})
}

// ---- the client algorithm ----

// value is what an attempt sets: its owner and its token.
func value(owner string, token int64) string { return owner + "/" + strconv.FormatInt(token, 10) }

func (n *Node) acquire(req maelstrom.Msg) {
	b, ok := locktable.DecodeAcquire(n.env, req)
	if !ok {
		return
	}
	ttl := DefaultTTL
	if b.TTLMS > 0 {
		ttl = min(time.Duration(b.TTLMS)*time.Millisecond, MaxTTL)
	}
	tok, again := n.granted[b.Client]
	if !again {
		tok = n.env.Rand().Int64()>>1 | 1
	}
	sb := setBody{Key: b.Lock, Value: value(b.Client, tok), TTLMS: ttl.Milliseconds()}
	start := n.env.Now() // step 1
	granted, answered, decided := 0, 0, false
	decide := func(final bool) {
		if decided || (!final && granted < n.quorum && answered < len(n.peers)+1) {
			return
		}
		decided = true
		validity := ttl - (n.env.Now() - start) - drift(ttl) // step 3
		if granted >= n.quorum && validity >= time.Millisecond {
			n.granted[b.Client] = tok
			n.env.Reply(req, "acquire_ok", maelstrom.AcquireOKBody{Token: tok, ExpiresMS: validity.Milliseconds()})
			return
		}
		delete(n.granted, b.Client)
		n.unlock(delBody{Key: b.Lock, Value: sb.Value}, nil) // step 4
		if granted >= n.quorum {
			n.env.ReplyError(req, maelstrom.TemporarilyUnavailable, "acquired too late: no validity left")
			return
		}
		n.env.ReplyError(req, maelstrom.LockHeld, "no majority of instances granted the lock")
	}
	count := func(ok bool) {
		answered++
		if ok {
			granted++
		}
		decide(false)
	}
	count(n.set(sb)) // step 2, this instance
	for _, p := range n.peers {
		n.env.RPC(p, "rl_set", sb, instanceTimeout, func(resp maelstrom.Msg, err error) {
			if err != nil {
				return
			}
			body, derr := maelstrom.Decode[setOKBody](resp)
			count(derr == nil && body.OK)
		})
	}
	n.env.SetTimer(instanceTimeout, func() { decide(true) })
}

// unlock deletes the owner's key at every instance; done, when set, gets
// each answer (whether that instance held it).
func (n *Node) unlock(db delBody, done func(deleted bool)) {
	deleted := n.del(db)
	if done != nil {
		done(deleted)
	}
	for _, p := range n.peers {
		n.env.RPC(p, "rl_del", db, instanceTimeout, func(resp maelstrom.Msg, err error) {
			if err != nil || done == nil {
				return
			}
			body, derr := maelstrom.Decode[delOKBody](resp)
			done(derr == nil && body.Deleted)
		})
	}
}

// release is step 5: unlock everywhere. A majority that deleted the
// owner's key is release_ok; a majority that did not have it (its lease
// ran out) is not-lock-holder; neither in time is an indefinite timeout.
func (n *Node) release(req maelstrom.Msg) {
	b, ok := locktable.DecodeRelease(n.env, req)
	if !ok {
		return
	}
	delete(n.granted, b.Client)
	yes, no, decided := 0, 0, false
	n.unlock(delBody{Key: b.Lock, Value: value(b.Client, b.Token)}, func(deleted bool) {
		if decided {
			return
		}
		if deleted {
			yes++
		} else {
			no++
		}
		switch {
		case yes >= n.quorum:
			decided = true
			n.env.Reply(req, "release_ok", nil)
		case no > len(n.peers)+1-n.quorum:
			decided = true
			n.env.ReplyError(req, maelstrom.NotLockHolder, "no majority of instances held the owner's key")
		}
	})
	n.env.SetTimer(releaseTimeout, func() {
		if !decided {
			decided = true
			n.env.ReplyError(req, maelstrom.Timeout, "no majority of instances answered")
		}
	})
}
