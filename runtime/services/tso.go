package services

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// tso is lin-tso: a counter handed out one value per request. Like
// Maelstrom's, it starts at 0 and ignores the request's body.
type tso struct {
	mux  *nodes.Mux
	next int
}

func newTSO() *tso { return &tso{} }

func (s *tso) Init(env nodes.Env) {
	s.mux = nodes.NewMux(env)
	s.mux.Handle("ts", func(req maelstrom.Msg) {
		ts := s.next
		s.next++
		reply(env, req, "ts_ok", TSOKBody{TS: ts})
	})
}

func (s *tso) Handle(req maelstrom.Msg) { s.mux.Dispatch(req) }
