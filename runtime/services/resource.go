package services

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// NewResource returns the factory of the lock workload's protected
// resource (maelstrom.ResourceID): the storage that lock holders read,
// increment and write back, one integer register per key (the lock's
// name). It numbers each key's accesses in the order it serves them and
// stamps them with its clock, so that the mutual-exclusion checker can see,
// from what the clients recorded, which critical sections overlapped here.
//
// With fenced set it is Kleppmann's fenced storage ("How to do distributed
// locking", 2016): it remembers the highest fencing token each key has
// seen and refuses, with StaleToken (1002), an access carrying a lower one.
// Reads count as well as writes: a holder that read under token 33 and
// writes after a holder with token 34 has read must be refused, or its
// increment overwrites the other's. Without fencing it accepts everything.
//
// The lock workload adds it to the runs that use it; it lives with
// Maelstrom's services because it is one: never faulted, reached with
// latency, deterministic.
func NewResource(fenced bool) func() nodes.Node {
	return func() nodes.Node { return &resource{fenced: fenced, keys: map[string]*resourceKey{}} }
}

type resource struct {
	env    nodes.Env
	mux    *nodes.Mux
	fenced bool
	keys   map[string]*resourceKey
}

type resourceKey struct {
	value    int64
	seq      int64 // accesses served
	maxToken int64 // highest token seen, when seenToken
	seen     bool
}

func (r *resource) Init(env nodes.Env) {
	r.env = env
	r.mux = nodes.NewMux(env)
	r.mux.Handle("read", r.read)
	r.mux.Handle("write", r.write)
}

func (r *resource) Handle(req maelstrom.Msg) { r.mux.Dispatch(req) }

func (r *resource) key(name string) *resourceKey {
	k := r.keys[name]
	if k == nil {
		k = &resourceKey{}
		r.keys[name] = k
	}
	return k
}

// admit applies fencing to an access with token; it reports whether the
// access may proceed.
func (r *resource) admit(req maelstrom.Msg, k *resourceKey, token int64) bool {
	if r.fenced && k.seen && token < k.maxToken {
		replyError(r.env, req, maelstrom.NewRPCError(maelstrom.StaleToken, "fenced off: token lower than one already seen"))
		return false
	}
	if !k.seen || token > k.maxToken {
		k.maxToken, k.seen = token, true
	}
	return true
}

func (r *resource) served(req maelstrom.Msg, k *resourceKey) {
	k.seq++
	reply(r.env, req, req.Type+"_ok", maelstrom.ResourceOKBody{Value: k.value, Seq: k.seq, AtNS: int64(r.env.Now())})
}

func (r *resource) read(req maelstrom.Msg) {
	b, err := maelstrom.Decode[maelstrom.ResourceReadBody](req)
	if err != nil || b.Key == "" {
		replyError(r.env, req, malformed(req, "want {key, token}"))
		return
	}
	k := r.key(b.Key)
	if b.Token != nil && !r.admit(req, k, *b.Token) {
		return
	}
	r.served(req, k)
}

func (r *resource) write(req maelstrom.Msg) {
	b, err := maelstrom.Decode[maelstrom.ResourceWriteBody](req)
	if err != nil || b.Key == "" {
		replyError(r.env, req, malformed(req, "want {key, token, value}"))
		return
	}
	k := r.key(b.Key)
	if !r.admit(req, k, b.Token) {
		return
	}
	k.value = b.Value
	r.served(req, k)
}
