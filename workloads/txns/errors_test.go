package txns

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/sim"
	"github.com/ddbbench/ddbbench/workloads"
)

// erring answers every transaction with one error code.
type erring struct {
	env  nodes.Env
	code int
}

func (n *erring) Init(env nodes.Env)       { n.env = env }
func (n *erring) Handle(msg maelstrom.Msg) { n.env.ReplyError(msg, n.code, "no") }

// Maelstrom's error table decides the outcome: a definite error fails the
// transaction, an indefinite one leaves it unknown.
func TestErrorCodes(t *testing.T) {
	cases := []struct {
		code int
		want history.Outcome
	}{
		{maelstrom.TxnConflict, history.Fail},
		{maelstrom.TemporarilyUnavailable, history.Fail},
		{maelstrom.Abort, history.Fail},
		{maelstrom.Crash, history.Info},
		{maelstrom.Timeout, history.Info},
		{1999, history.Info}, // a user code
	}
	for _, c := range cases {
		s := sim.New(sim.Config{Seed: 1})
		s.AddServer("n0", func() nodes.Node { return &erring{code: c.code} })
		d := workloads.NewDriver(New(config(ListAppend)), workloads.DriverConfig{Rate: 100, OpTimeout: time.Second, Nodes: []string{"n0"}},
			2, rand.New(rand.NewPCG(1, 2)))
		for _, cl := range d.Clients() {
			s.AddClient(cl.ID(), func() nodes.Node { return cl })
		}
		s.Start()
		d.Start(s)
		if err := s.RunUntil(time.Second); err != nil {
			t.Fatal(err)
		}
		d.Stop()
		d.Abandon()
		h := d.History()
		if len(h) < 50 {
			t.Fatalf("code %d: only %d operations", c.code, len(h))
		}
		for _, op := range h {
			if op.Outcome != c.want && op.Error.Text != "run ended before a reply" {
				t.Fatalf("code %d: %s, want %s (%+v)", c.code, op.Outcome, c.want, op.Error)
			}
		}
	}
}
