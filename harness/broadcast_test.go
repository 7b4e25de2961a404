package harness

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/reports"
)

// flood is the simplest correct broadcast node: it sends each new message
// to every other node, once. On a reliable network every node gets every
// message one hop after it was broadcast.
type flood struct {
	env  nodes.Env
	seen map[int]bool
}

type floodMsg struct {
	Message int `json:"message"`
}

type floodRead struct {
	Messages []int `json:"messages"`
}

func (f *flood) Init(env nodes.Env) { f.env, f.seen = env, map[int]bool{} }

func (f *flood) Handle(msg maelstrom.Msg) {
	switch msg.Type {
	case "topology":
		f.env.Reply(msg, "topology_ok", struct{}{})
	case "broadcast", "gossip":
		b, _ := maelstrom.Decode[floodMsg](msg)
		if !f.seen[b.Message] {
			f.seen[b.Message] = true
			if msg.Type == "broadcast" {
				for _, n := range f.env.NodeIDs() {
					if n != f.env.ID() {
						f.env.Send(n, "gossip", b)
					}
				}
			}
		}
		if msg.Type == "broadcast" {
			f.env.Reply(msg, "broadcast_ok", struct{}{})
		}
	case "read":
		var out floodRead
		for m := range f.seen {
			out.Messages = append(out.Messages, m)
		}
		sort.Ints(out.Messages)
		f.env.Reply(msg, "read_ok", out)
	}
}

func floodConfig(seed int64) Config {
	c := Defaults()
	c.Strategy = nodes.Strategy{Name: "flood", Workload: "broadcast", New: func() nodes.Node { return &flood{} }}
	c.NodeCount, c.TimeLimit, c.Rate, c.Seed = 5, 10*time.Second, 50, seed
	c.Latency, c.LatencyDist = 20*time.Millisecond, "constant"
	return c
}

// The Gossip Glomers targets for broadcast (3d, 3e) are stated in
// messages per operation and the stable latency's median and maximum: the
// results give all three, and so does the summary.
func TestBroadcastStableLatency(t *testing.T) {
	run := Check(simulate(t, floodConfig(1)))
	r := run.Results
	if r.Valid != checkers.Valid {
		t.Fatalf("a correct broadcast node: %s %+v", r.Valid, r.Checks)
	}
	s := r.StableLatency
	if s == nil || s.Count < 100 {
		t.Fatalf("stable latency %+v, want figures over the broadcast messages", s)
	}
	// A message is in every node's reads one hop (20 ms) after its
	// broadcast was acknowledged; reads are instantaneous.
	if s.P50 > 20.01 || s.Max > 20.01 || s.P50 > s.P95 || s.P95 > s.P99 || s.P99 > s.Max {
		t.Errorf("stable latency %+v, want at most one 20 ms hop, in order", s)
	}
	summary := reports.Summary(&r, "")
	t.Log(summary)
	if !strings.Contains(summary, "stable lat.   p50 ") || !strings.Contains(summary, "messages      ") {
		t.Errorf("the summary lacks the stable latency:\n%s", summary)
	}
	if r.Messages.ServerPerOp == 0 {
		t.Errorf("no server messages per op: %+v", r.Messages)
	}
}

// Other workloads have no stable latency to report.
func TestNoStableLatencyForRegisters(t *testing.T) {
	if r := Check(simulate(t, config("single", 1))).Results; r.StableLatency != nil {
		t.Fatalf("a register run reports a stable latency: %+v", r.StableLatency)
	}
}
