package proc

import (
	"fmt"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// pump is a client that keeps window requests outstanding until it has
// sent total, spreading them over the nodes: the load for the throughput
// benchmarks.
type pump struct {
	env          nodes.Env
	nodes        []string
	typ          string
	window       int
	total        int
	sent, done   int
	failed       error
	next         int
	rtt          time.Duration // summed round-trip times
	relayTargets bool          // relay to the next node instead of echoing
}

func (p *pump) Init(env nodes.Env)   { p.env = env }
func (p *pump) Handle(maelstrom.Msg) {}

func (p *pump) fill() {
	for p.sent-p.done < p.window && p.sent < p.total {
		p.sent++
		i := p.next % len(p.nodes)
		p.next++
		body := map[string]any{"echo": "x"}
		if p.relayTargets {
			body["to"] = p.nodes[(i+1)%len(p.nodes)]
		}
		start := time.Now()
		p.env.RPC(p.nodes[i], p.typ, body, 10*time.Second, func(_ maelstrom.Msg, err error) {
			p.rtt += time.Since(start)
			p.done++
			if err != nil && p.failed == nil {
				p.failed = err
			}
			p.fill()
		})
	}
}

// runPump starts n nodes, then drives p to completion; it returns the
// wall time of the load alone and the messages routed.
func runPump(b *testing.B, n int, p *pump) (time.Duration, int64) {
	b.Helper()
	r := mustStart(b, options{n: n, extra: p})
	for i := range n {
		p.nodes = append(p.nodes, fmt.Sprintf("n%d", i))
	}
	before := r.s.Stats().Total()
	b.ResetTimer()
	start := time.Now()
	p.fill()
	r.until(5*time.Minute, func() bool { return p.done == p.total })
	wall := time.Since(start)
	b.StopTimer()
	if p.failed != nil {
		b.Fatal(p.failed)
	}
	return wall, r.s.Stats().Total() - before
}

// BenchmarkRelayThroughput routes messages through 5 real processes as fast
// as the pipes allow: each operation is client -> node -> next node -> node
// -> client, four messages, with 256 operations outstanding.
func BenchmarkRelayThroughput(b *testing.B) {
	p := &pump{typ: "relay", window: 256, total: max(b.N, 1), relayTargets: true}
	wall, msgs := runPump(b, 5, p)
	b.ReportMetric(float64(msgs)/wall.Seconds(), "msgs/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEchoRoundTrip is the harness's added latency: one echo at a
// time to one node on a zero-latency network, so the round trip is two
// trips through the loop, the pipes and the node.
func BenchmarkEchoRoundTrip(b *testing.B) {
	p := &pump{typ: "echo", window: 1, total: max(b.N, 1)}
	wall, _ := runPump(b, 1, p)
	b.ReportMetric(float64(p.rtt.Microseconds())/float64(p.total), "µs/rtt")
	b.ReportMetric(float64(p.total)/wall.Seconds(), "rtt/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkStartHundredNodes starts 100 nodes, makes one round trip to
// each, and closes them.
func BenchmarkStartHundredNodes(b *testing.B) {
	for b.Loop() {
		hundredNodes(b)
	}
}

func TestHundredNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 100 processes")
	}
	start := time.Now()
	hundredNodes(t)
	t.Logf("100 nodes: started, one round trip each, closed in %v", time.Since(start))
}

func hundredNodes(t testing.TB) {
	const n = 100
	r := mustStart(t, options{n: n, edit: func(c *Config) { c.InitTimeout = patience }})
	var calls []*call
	for i := range n {
		calls = append(calls, r.cl.rpc(fmt.Sprintf("n%d", i), "echo", map[string]any{"echo": i}))
	}
	r.until(patience, func() bool {
		for _, k := range calls {
			if !k.done {
				return false
			}
		}
		return true
	})
	for i, k := range calls {
		if k.err != nil || k.resp.Src != fmt.Sprintf("n%d", i) {
			t.Fatalf("n%d: %+v %v", i, k.resp, k.err)
		}
	}
	r.c.Close()
}
