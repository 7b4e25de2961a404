package services

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// linKV is lin-kv: a single map that applies each request as it arrives.
// The service handles one message at a time, so arrival order is a
// linearization of the requests.
type linKV struct {
	mux  *nodes.Mux
	data map[string]string // canonical key → canonical value
}

func newLinKV() *linKV { return &linKV{data: map[string]string{}} }

func (s *linKV) Init(env nodes.Env)       { s.mux = newKVMux(env, s.serve) }
func (s *linKV) Handle(req maelstrom.Msg) { s.mux.Dispatch(req) }

func (s *linKV) serve(_ maelstrom.Msg, op kvOp) kvResult {
	cur, exists := s.data[op.key]
	res := op.apply(cur, exists)
	if res.put {
		s.data[op.key] = res.newValue
	}
	return res
}
