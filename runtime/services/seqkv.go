package services

import (
	"slices"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// seqWindow is how many of the newest states seq-kv may serve a request
// from: the size of Maelstrom's ring buffer.
const seqWindow = 32

// seqKV is seq-kv, Maelstrom's sequentially consistent store. It keeps the
// recent states of a store that evolves in one total order, numbered from 0
// (empty). Each request runs against a state picked at random between the
// one its client last saw and the newest, so clients may read the past but
// never go back in it. A request that would change a past state would fork
// the total order, so it runs against the newest state instead. A write or
// cas that leaves the past state as it was is served from the past: the
// docs' example of a write "re-ordered to the past".
type seqKV struct {
	env    nodes.Env
	mux    *nodes.Mux
	window int
	last   int                  // the newest state's number
	floor  map[string]int       // per client: the state it last saw
	keys   map[string][]version // per key: its values, oldest first
}

// version is a key's value from state `state` on, until its next version.
type version struct {
	state int
	value string
}

func newSeqKV(window int) *seqKV {
	return &seqKV{window: window, floor: map[string]int{}, keys: map[string][]version{}}
}

func (s *seqKV) Init(env nodes.Env) {
	s.env = env
	s.mux = newKVMux(env, s.serve)
}

func (s *seqKV) Handle(req maelstrom.Msg) { s.mux.Dispatch(req) }

func (s *seqKV) serve(req maelstrom.Msg, op kvOp) kvResult {
	// The oldest state still kept bounds the staleness too: Maelstrom's ring
	// buffer forgets the rest.
	lo := max(s.floor[req.Src], s.last-s.window+1)
	at := lo + s.env.Rand().IntN(s.last-lo+1)
	cur, exists := s.valueAt(op.key, at)
	res := op.apply(cur, exists)
	if !res.changes(cur, exists) {
		s.floor[req.Src] = at
		return res
	}
	cur, exists = s.valueAt(op.key, s.last)
	res = op.apply(cur, exists)
	if res.changes(cur, exists) {
		s.last++
		s.put(op.key, res.newValue)
	}
	s.floor[req.Src] = s.last
	return res
}

// valueAt is the key's value in state `state`.
func (s *seqKV) valueAt(key string, state int) (string, bool) {
	vs := s.keys[key]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].state <= state {
			return vs[i].value, true
		}
	}
	return "", false
}

// put records the key's value in the newest state, forgetting the versions
// no kept state can see any more.
func (s *seqKV) put(key, value string) {
	vs := append(s.keys[key], version{s.last, value})
	oldest := s.last - s.window + 1
	keep := 0 // the newest version visible from the oldest kept state
	for i, v := range vs {
		if v.state <= oldest {
			keep = i
		}
	}
	s.keys[key] = slices.Delete(vs, 0, keep)
}
