package network

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Endpoints: 0..2 servers, 3 a client, 4 a service.
var kinds = []Kind{Server, Server, Server, Client, Service}

func model(cfg Config) *Model { return NewModel(cfg, kinds, rand.New(rand.NewPCG(1, 2))) }

// index maps "n0".."n9" to endpoints 0..9.
func index(id string) (int, bool) {
	i := strings.TrimPrefix(id, "n")
	return int(i[0] - '0'), len(i) == 1 && i[0] >= '0' && i[0] <= '9'
}

func setFaults(t *testing.T, m *Model, p PacketFaults) {
	t.Helper()
	if err := m.SetPacketFaults(p, index); err != nil {
		t.Fatal(err)
	}
}

func TestLatencyDistributionsHaveTheirMean(t *testing.T) {
	for _, dist := range []Dist{Constant, Uniform, Exponential} {
		m := model(Config{Latency: 10 * time.Millisecond, Dist: dist})
		var sum time.Duration
		const n = 20000
		for range n {
			copies, d := m.Route(0, 1, 0)
			if copies != 1 {
				t.Fatalf("%s: a healthy link delivered %d copies", dist, copies)
			}
			sum += d[0]
		}
		if mean := sum / n; math.Abs(float64(mean-10*time.Millisecond)) > float64(300*time.Microsecond) {
			t.Errorf("%s: mean latency %v, want about 10ms", dist, mean)
		}
	}
}

func TestClientLinksHaveNoLatencyAndNoFaults(t *testing.T) {
	m := model(Config{Latency: 10 * time.Millisecond, Loss: 1})
	_ = m.SetPartition(Grudge{"n0": {"c0"}}, func(id string) (int, bool) { return map[string]int{"n0": 0, "c0": 3}[id], true })
	if copies, d := m.Route(3, 0, 0); copies != 1 || d[0] != 0 {
		t.Fatalf("client to server: %d copies after %v", copies, d[0])
	}
	// Services: latency, but neither loss nor partitions.
	if copies, d := m.Route(0, 4, 0); copies != 1 || d[0] != 10*time.Millisecond {
		t.Fatalf("server to service: %d copies after %v", copies, d[0])
	}
	// A client reaches a service as a node does.
	for _, link := range [][2]int{{3, 4}, {4, 3}} {
		if copies, d := m.Route(link[0], link[1], 0); copies != 1 || d[0] != 10*time.Millisecond {
			t.Fatalf("client and service %v: %d copies after %v", link, copies, d[0])
		}
	}
	if copies, _ := m.Route(0, 1, 0); copies != 0 {
		t.Fatal("loss 1 must drop every server-to-server message")
	}
}

func TestPartitionsAreOneWayGrudges(t *testing.T) {
	m := model(Config{})
	if err := m.SetPartition(Grudge{"n1": {"n0"}}, index); err != nil {
		t.Fatal(err)
	}
	if c, _ := m.Route(0, 1, 0); c != 0 {
		t.Fatal("n1 should drop messages from n0")
	}
	if c, _ := m.Route(1, 0, 0); c != 1 {
		t.Fatal("n0 should still hear n1: the grudge is one-way")
	}
	m.Heal()
	if c, _ := m.Route(0, 1, 0); c != 1 {
		t.Fatal("heal must restore the link")
	}
	if err := m.SetPartition(Grudge{"n1": {"n42"}}, index); err == nil {
		t.Fatal("a grudge naming an unknown node must be an error")
	}
}

func TestPacketFaults(t *testing.T) {
	m := model(Config{Latency: time.Millisecond})
	setFaults(t, m, PacketFaults{Dup: 1, Delay: 50 * time.Millisecond})
	copies, d := m.Route(0, 1, 0)
	if copies != 2 || d[0] < 50*time.Millisecond || d[1] < 50*time.Millisecond {
		t.Fatalf("dup 1 with 50ms delay: %d copies after %v", copies, d)
	}
	setFaults(t, m, PacketFaults{Reorder: 1})
	late := 0
	for range 1000 {
		if _, d := m.Route(0, 1, 0); d[0] > time.Millisecond {
			late++
		}
	}
	if late < 900 {
		t.Fatalf("reorder 1 held back only %d of 1000 messages", late)
	}
	m.Heal()
	if c, d := m.Route(0, 1, 0); c != 1 || d[0] != time.Millisecond {
		t.Fatal("heal must clear packet faults")
	}
}

func TestPacketFaultsOnlyTouchTargetLinks(t *testing.T) {
	m := model(Config{})
	setFaults(t, m, PacketFaults{Loss: 1, Targets: []string{"n0"}})
	for _, link := range [][2]int{{0, 1}, {1, 0}, {2, 0}, {0, 2}} {
		if c, _ := m.Route(link[0], link[1], 0); c != 0 {
			t.Fatalf("link %d->%d touches target n0 and must lose everything", link[0], link[1])
		}
	}
	if c, _ := m.Route(1, 2, 0); c != 1 {
		t.Fatal("link n1->n2 does not touch the target and must be unaffected")
	}
	if err := m.SetPacketFaults(PacketFaults{Loss: 1, Targets: []string{"n42"}}, index); err == nil {
		t.Fatal("a target naming an unknown node must be an error")
	}
}

// Bursty losses keep the configured loss rate but group losses into runs
// whose duration averages Burst; independent losses (Burst 0) make runs of
// 1/(1-loss) messages.
func TestBurstyLossKeepsRateAndGroupsLosses(t *testing.T) {
	const spacing = time.Millisecond // one message per ms
	for _, tc := range []struct {
		loss    float64
		burst   time.Duration
		wantRun float64 // messages
	}{
		{0.2, 0, 1.25},
		{0.2, 10 * time.Millisecond, 10},
		{0.3, 50 * time.Millisecond, 50},
		{0.1, 20 * time.Millisecond, 20},
	} {
		m := model(Config{})
		setFaults(t, m, PacketFaults{Loss: tc.loss, Burst: tc.burst})
		const n = 400000
		lost, runs, inRun := 0, 0, false
		for i := range n {
			c, _ := m.Route(0, 1, time.Duration(i)*spacing)
			if c == 0 {
				lost++
				if !inRun {
					runs++
				}
			}
			inRun = c == 0
		}
		rate, run := float64(lost)/n, float64(lost)/float64(runs)
		if math.Abs(rate-tc.loss) > 0.02 {
			t.Errorf("loss %g burst %v: lost %.3f of messages", tc.loss, tc.burst, rate)
		}
		if math.Abs(run-tc.wantRun)/tc.wantRun > 0.15 {
			t.Errorf("loss %g burst %v: runs of %.2f losses on average, want %.2f", tc.loss, tc.burst, run, tc.wantRun)
		}
	}
}

// A burst silences a link for a stretch of time however few messages it
// carries: a quiet link loses its messages within the burst too.
func TestBurstsAreMeasuredInTime(t *testing.T) {
	m := model(Config{})
	setFaults(t, m, PacketFaults{Loss: 0.5, Burst: time.Second})
	var lostAt []time.Duration
	for i := range 2000 {
		at := time.Duration(i) * 100 * time.Millisecond // a heartbeat every 100 ms
		if c, _ := m.Route(0, 1, at); c == 0 {
			lostAt = append(lostAt, at)
		}
	}
	runs := 1
	for i := 1; i < len(lostAt); i++ {
		if lostAt[i]-lostAt[i-1] > 100*time.Millisecond {
			runs++
		}
	}
	if per := float64(len(lostAt)) / float64(runs); per < 7 {
		t.Errorf("1 s bursts on a 10 msg/s link should lose about 10 in a row, lost %.1f", per)
	}
}

func TestGrudgeStringIsDeterministic(t *testing.T) {
	g := Grudge{"n2": {"n1", "n0"}, "n0": {"n2"}}
	if got, want := g.String(), "n0<-x-[n2] n2<-x-[n0,n1]"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
