package services

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// lwwReplicas is how many replicas lww-kv simulates: the default in
// Maelstrom's service.clj (its docs say 5).
const lwwReplicas = 2

// lwwKV is lww-kv, Maelstrom's intentionally pathological eventually
// consistent store: independent replicas, each with a Lamport clock that
// stamps its writes. Every request first merges one random replica into
// another (merges are the only gossip), then runs on a random replica, so
// a client can read a value older than one it wrote, and a write can lose
// to an older one that carries a bigger stamp.
type lwwKV struct {
	env      nodes.Env
	mux      *nodes.Mux
	replicas []*lwwReplica
}

type lwwReplica struct {
	clock int // stamps this replica's next write
	data  map[string]stamped
}

type stamped struct {
	ts    int
	value string
}

func newLWWKV(replicas int) *lwwKV {
	s := &lwwKV{replicas: make([]*lwwReplica, replicas)}
	for i := range s.replicas {
		s.replicas[i] = &lwwReplica{data: map[string]stamped{}}
	}
	return s
}

func (s *lwwKV) Init(env nodes.Env) {
	s.env = env
	s.mux = newKVMux(env, s.serve)
}

func (s *lwwKV) Handle(req maelstrom.Msg) { s.mux.Dispatch(req) }

func (s *lwwKV) serve(_ maelstrom.Msg, op kvOp) kvResult {
	rng, n := s.env.Rand(), len(s.replicas)
	// Drawn in Maelstrom's order: merge source, merge destination, replica.
	src, dst := rng.IntN(n), rng.IntN(n)
	if src != dst {
		s.replicas[dst].merge(s.replicas[src])
	}
	r := s.replicas[rng.IntN(n)]
	cur, exists := r.data[op.key]
	res := op.apply(cur.value, exists)
	if res.put {
		r.data[op.key] = stamped{ts: r.clock, value: res.newValue}
		r.clock++
	}
	return res
}

// merge takes src's newer values; on equal stamps src's value wins, as in
// Maelstrom. The result does not depend on map order: each key is decided
// on its own.
func (r *lwwReplica) merge(src *lwwReplica) {
	r.clock = max(r.clock, src.clock)
	for key, theirs := range src.data {
		if mine, ok := r.data[key]; !ok || theirs.ts >= mine.ts {
			r.data[key] = theirs
		}
	}
}
