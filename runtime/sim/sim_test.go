package sim

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/network"
)

type ping struct {
	N int `json:"n"`
}

// echoNode answers "ping" with "pong", counting what it handled.
type echoNode struct {
	env     nodes.Env
	handled *[]string
}

func (n *echoNode) Init(env nodes.Env) { n.env = env }
func (n *echoNode) Handle(msg maelstrom.Msg) {
	b, _ := maelstrom.Decode[ping](msg)
	*n.handled = append(*n.handled, fmt.Sprintf("%s:%s:%d", n.env.ID(), msg.Src, b.N))
	n.env.Reply(msg, "pong", b)
}

// caller is a client that makes RPCs and records outcomes with their times.
type caller struct {
	env nodes.Env
	log []string
}

func (c *caller) Init(env nodes.Env)   { c.env = env }
func (c *caller) Handle(maelstrom.Msg) {}
func (c *caller) call(dest string, n int) {
	c.env.RPC(dest, "ping", ping{N: n}, time.Second, func(resp maelstrom.Msg, err error) {
		if err != nil {
			c.log = append(c.log, fmt.Sprintf("%v %d err %d", c.env.Now(), n, maelstrom.ErrorCode(err)))
			return
		}
		b, _ := maelstrom.Decode[ping](resp)
		c.log = append(c.log, fmt.Sprintf("%v %d ok %d", c.env.Now(), n, b.N))
	})
}

// relay is a server that forwards pings to n0 and relays the answer, so that
// requests cross a server-to-server link.
type relay struct{ env nodes.Env }

func (r *relay) Init(env nodes.Env) { r.env = env }
func (r *relay) Handle(msg maelstrom.Msg) {
	b, _ := maelstrom.Decode[ping](msg)
	r.env.RPC("n0", "ping", b, 500*time.Millisecond, func(resp maelstrom.Msg, err error) {
		if err != nil {
			r.env.ReplyError(msg, maelstrom.ErrorCode(err), err.Error())
			return
		}
		r.env.Reply(msg, "pong", b)
	})
}

func newCluster(t testing.TB, cfg Config, relays int) (*Sim, *caller, *[]string) {
	t.Helper()
	s := New(cfg)
	var handled []string
	s.AddServer("n0", func() nodes.Node { return &echoNode{handled: &handled} })
	for i := 1; i <= relays; i++ {
		s.AddServer("n"+strconv.Itoa(i), func() nodes.Node { return &relay{} })
	}
	c := &caller{}
	s.AddClient("c0", func() nodes.Node { return c })
	s.Start()
	return s, c, &handled
}

func TestRPCRoundTripTakesTwoLatencies(t *testing.T) {
	s, c, _ := newCluster(t, Config{Network: network.Config{Latency: 10 * time.Millisecond}}, 1)
	c.call("n1", 7)
	if err := s.RunUntil(time.Second); err != nil {
		t.Fatal(err)
	}
	// Client links have no latency; n1 -> n0 -> n1 costs two 10 ms hops.
	want := []string{"20ms 7 ok 7"}
	if strings.Join(c.log, "|") != strings.Join(want, "|") {
		t.Fatalf("got %v, want %v", c.log, want)
	}
	st := s.Stats()
	if st.ServerServer != 2 || st.ClientServer != 2 {
		t.Fatalf("stats %+v: want 2 server-server and 2 client messages", st)
	}
}

func TestPartitionDropsAndTimesOut(t *testing.T) {
	s, c, _ := newCluster(t, Config{Network: network.Config{Latency: time.Millisecond}}, 1)
	if err := s.Partition(network.Grudge{"n0": {"n1"}}); err != nil {
		t.Fatal(err)
	}
	c.call("n1", 1)
	if err := s.RunUntil(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(c.log) != 1 || !strings.HasSuffix(c.log[0], "err 0") {
		t.Fatalf("want one timeout, got %v", c.log)
	}
	s.Heal()
	c.call("n1", 2)
	if err := s.RunUntil(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(c.log) != 2 || !strings.HasSuffix(c.log[1], "ok 2") {
		t.Fatalf("after heal want success, got %v", c.log)
	}
}

func TestOneWayPartitionLetsOtherDirectionThrough(t *testing.T) {
	s, _, handled := newCluster(t, Config{Network: network.Config{Latency: time.Millisecond}}, 1)
	// n1 drops messages from n0, but n0 still hears n1: the ping arrives,
	// the pong is lost.
	if err := s.Partition(network.Grudge{"n1": {"n0"}}); err != nil {
		t.Fatal(err)
	}
	c := s.endpoints[s.index["c0"]].node.(*caller)
	c.call("n1", 5)
	if err := s.RunUntil(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(*handled) != 1 {
		t.Fatalf("n0 should have handled the ping, handled %v", *handled)
	}
	if len(c.log) != 1 || !strings.HasSuffix(c.log[0], "err 0") {
		t.Fatalf("the reply should be lost, got %v", c.log)
	}
}

func TestUnknownDestinationIsAnError(t *testing.T) {
	s, c, _ := newCluster(t, Config{}, 0)
	c.env.Send("n9", "ping", ping{})
	err := s.RunUntil(time.Second)
	if err == nil || !strings.Contains(err.Error(), `unknown node "n9"`) {
		t.Fatalf("want unknown-node error, got %v", err)
	}
}

// counterNode keeps a volatile and a durable counter and bumps both on a
// timer, to observe crashes and pauses.
type counterNode struct {
	env      nodes.Env
	volatile int
	ticks    *[]string
}

func (n *counterNode) Init(env nodes.Env) {
	n.env = env
	var tick func()
	tick = func() {
		n.volatile++
		durable := 0
		if b, ok := env.Store().Get("count"); ok {
			durable, _ = strconv.Atoi(string(b))
		}
		durable++
		env.Store().Put("count", []byte(strconv.Itoa(durable)))
		if durable%2 == 0 {
			env.Store().Sync()
		}
		*n.ticks = append(*n.ticks, fmt.Sprintf("%v v%d d%d", env.Now(), n.volatile, durable))
		env.SetTimer(100*time.Millisecond, tick)
	}
	env.SetTimer(100*time.Millisecond, tick)
}
func (n *counterNode) Handle(maelstrom.Msg) {}

func TestCrashKeepsStoreAndLosesVolatileState(t *testing.T) {
	for _, lose := range []bool{false, true} {
		t.Run(fmt.Sprintf("loseUnsynced=%v", lose), func(t *testing.T) {
			var ticks []string
			s := New(Config{LoseUnsynced: lose})
			s.AddServer("n0", func() nodes.Node { return &counterNode{ticks: &ticks} })
			s.Start()
			// Ticks at 100..300 ms: d1, d2 (synced), d3 (unsynced).
			s.After(350*time.Millisecond, func() { _ = s.Kill("n0") })
			s.After(1000*time.Millisecond, func() { _ = s.Restart("n0") })
			if err := s.RunUntil(1150 * time.Millisecond); err != nil {
				t.Fatal(err)
			}
			last := ticks[len(ticks)-1]
			want := "1.1s v1 d4" // volatile restarts at 1; durable keeps d3
			if lose {
				want = "1.1s v1 d3" // the unsynced d3 is lost
			}
			if last != want {
				t.Fatalf("after restart got %q, want %q (all: %v)", last, want, ticks)
			}
			if len(ticks) != 4 {
				t.Fatalf("no ticks may run while down: %v", ticks)
			}
		})
	}
}

func TestPauseHoldsTimersAndMessagesUntilResume(t *testing.T) {
	var ticks []string
	s := New(Config{})
	s.AddServer("n0", func() nodes.Node { return &counterNode{ticks: &ticks} })
	s.Start()
	s.After(150*time.Millisecond, func() { _ = s.Pause("n0") })
	s.After(1000*time.Millisecond, func() { _ = s.Resume("n0") })
	if err := s.RunUntil(1050 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// One tick before the pause; the 200 ms timer waits and runs at 1 s
	// with volatile state intact.
	want := []string{"100ms v1 d1", "1s v2 d2"}
	if strings.Join(ticks, "|") != strings.Join(want, "|") {
		t.Fatalf("got %v, want %v", ticks, want)
	}
}

func TestClockOffsetSkewsNodeTimeOnly(t *testing.T) {
	s, c, _ := newCluster(t, Config{}, 0)
	if err := s.SetClockOffset("n0", -3*time.Second); err != nil {
		t.Fatal(err)
	}
	_ = s.RunUntil(5 * time.Second)
	n0 := s.endpoints[s.index["n0"]].env
	if got := n0.Now(); got != 2*time.Second {
		t.Fatalf("n0 clock %v, want 2s", got)
	}
	if got := c.env.Now(); got != 5*time.Second {
		t.Fatalf("client clock %v, want 5s", got)
	}
}

// trace runs a lossy, jittery cluster and returns everything observable.
func trace(seed int64) string {
	cfg := Config{Seed: seed, Network: network.Config{Latency: 5 * time.Millisecond, Dist: network.Exponential, Loss: 0.1, Dup: 0.1}}
	s := New(cfg)
	var handled []string
	s.AddServer("n0", func() nodes.Node { return &echoNode{handled: &handled} })
	for i := 1; i <= 3; i++ {
		s.AddServer("n"+strconv.Itoa(i), func() nodes.Node { return &relay{} })
	}
	c := &caller{}
	s.AddClient("c0", func() nodes.Node { return c })
	s.Start()
	for i := range 200 {
		s.After(time.Duration(i)*10*time.Millisecond, func() { c.call("n"+strconv.Itoa(1+i%3), i) })
	}
	_ = s.RunUntil(10 * time.Second)
	return strings.Join(c.log, "\n") + "\n--\n" + strings.Join(handled, "\n")
}

func TestSameSeedSameRunOtherSeedOtherRun(t *testing.T) {
	a, b := trace(1), trace(1)
	if a != b {
		t.Fatal("the same seed gave two different runs")
	}
	if trace(2) == a {
		t.Fatal("different seeds gave the same run: randomness is not reaching the network")
	}
}

func TestStreamsAreIndependent(t *testing.T) {
	a := Stream(1, "network").Int64()
	if Stream(1, "network").Int64() != a {
		t.Fatal("stream not reproducible")
	}
	if Stream(1, "workload").Int64() == a || Stream(2, "network").Int64() == a {
		t.Fatal("streams for different names or seeds coincide")
	}
}

// BenchmarkMessages measures simulated messages per wall-clock second on a
// 5-node cluster where every client request crosses two server links.
func BenchmarkMessages(b *testing.B) {
	s := New(Config{Network: network.Config{Latency: time.Millisecond, Dist: network.Uniform}})
	var handled []string
	s.AddServer("n0", func() nodes.Node { return &echoNode{handled: &handled} })
	for i := 1; i < 5; i++ {
		s.AddServer("n"+strconv.Itoa(i), func() nodes.Node { return &relay{} })
	}
	callers := make([]*caller, 10)
	for i := range callers {
		c := &caller{}
		callers[i] = c
		s.AddClient("c"+strconv.Itoa(i), func() nodes.Node { return c })
	}
	s.Start()
	b.ResetTimer()
	start := s.Stats().Total()
	// Each request is 4 messages: client->n_i, n_i->n0, n0->n_i, n_i->client.
	for i := 0; i < b.N; i += 4 {
		c := callers[(i/4)%len(callers)]
		c.call("n"+strconv.Itoa(1+(i/4)%4), i)
		if (i/4)%len(callers) == len(callers)-1 {
			_ = s.RunUntil(s.Now() + 5*time.Millisecond)
			handled = handled[:0]
			c.log = c.log[:0]
			for _, c := range callers {
				c.log = c.log[:0]
			}
		}
	}
	_ = s.RunUntil(s.Now() + time.Second)
	b.ReportMetric(float64(s.Stats().Total()-start)/b.Elapsed().Seconds(), "msgs/s")
}
