package nemesis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/network"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

// The simulator is a Target.
var _ Target = (*sim.Sim)(nil)

func mustNew(t *testing.T, kinds []string, interval time.Duration, seed uint64) *Nemesis {
	t.Helper()
	n, err := New(kinds, interval, rand.New(rand.NewPCG(seed, 99)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNewErrors(t *testing.T) {
	_, err := New([]string{"partition", "kill-bogus"}, time.Second, rand.New(rand.NewPCG(1, 1)))
	if err == nil {
		t.Fatal("unknown kind accepted")
	}
	for _, want := range []string{`"kill-bogus"`, "none", "partition-ring", "partition-one-way", "kill-leader", "pause-minority", "packet", "clock-strobe"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := New([]string{"kill"}, 0, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("zero interval accepted")
	}
	if _, err := New([]string{"kill"}, time.Second, nil); err == nil {
		t.Error("nil rng accepted")
	}
}

func TestNone(t *testing.T) {
	for _, kinds := range [][]string{nil, {}, {"none"}, {""}, {" none "}} {
		n, err := New(kinds, 0, nil)
		if err != nil {
			t.Fatalf("%q: %v", kinds, err)
		}
		ft := newFake(t, 3)
		n.Start(ft, 10*time.Second)
		ft.run(20 * time.Second)
		n.HealAll()
		if len(n.Kinds()) != 0 || len(n.Faults()) != 0 || len(ft.events) != 0 {
			t.Errorf("%q: kinds %v, faults %v", kinds, n.Kinds(), n.Faults())
		}
	}
	n := mustNew(t, []string{"kill", " kill", "pause", "none"}, time.Second, 1)
	if got := n.Kinds(); !slices.Equal(got, []string{"kill", "pause"}) {
		t.Errorf("kinds %v", got)
	}
}

func TestCatalog(t *testing.T) {
	names := Names()
	if names[0] != "none" {
		t.Errorf("first name %q", names[0])
	}
	seen := map[string]bool{}
	for _, info := range Catalog() {
		if seen[info.Name] || info.Summary == "" {
			t.Errorf("duplicate or undescribed kind %q", info.Name)
		}
		seen[info.Name] = true
	}
	for _, want := range []string{
		"partition", "partition-halves", "partition-one", "partition-majority", "partition-minority-third",
		"partition-ring", "partition-bridge", "partition-one-way", "partition-leader",
		"kill", "kill-one", "kill-minority", "kill-majority", "kill-all", "kill-leader",
		"pause", "pause-one", "pause-minority", "pause-majority", "pause-all", "pause-leader",
		"packet", "clock", "clock-bump", "clock-strobe",
	} {
		if !seen[want] {
			t.Errorf("catalog lacks %s", want)
		}
		if want != "none" {
			if _, err := New([]string{want}, time.Second, rand.New(rand.NewPCG(1, 1))); err != nil {
				t.Errorf("%s: %v", want, err)
			}
		}
	}
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func TestScheduleTiming(t *testing.T) {
	tests := []struct {
		until  time.Duration
		starts []float64
	}{
		{10 * time.Second, []float64{1, 3, 5, 7, 9}},
		{9 * time.Second, []float64{1, 3, 5, 7}},
		{secs(9.5), []float64{1, 3, 5, 7, 9}},
		{time.Second, nil},
	}
	for _, tc := range tests {
		t.Run(tc.until.String(), func(t *testing.T) {
			n := mustNew(t, []string{"kill-one"}, time.Second, 1)
			ft := newFake(t, 3)
			n.Start(ft, tc.until)
			ft.run(30 * time.Second)
			faults := n.Faults()
			if len(faults) != len(tc.starts) {
				t.Fatalf("faults %v, want starts at %v", faults, tc.starts)
			}
			for i, f := range faults {
				if f.Kind != "kill" || f.Start != int64(secs(tc.starts[i])) || f.End != int64(secs(tc.starts[i]+1)) {
					t.Errorf("fault %d = %+v, want kill from %vs to %vs", i, f, tc.starts[i], tc.starts[i]+1)
				}
			}
			if err := ft.healthy(); err != nil {
				t.Error(err)
			}
			if len(ft.events) != 0 {
				t.Errorf("%d events still scheduled after the end", len(ft.events))
			}
		})
	}
}

func TestStagger(t *testing.T) {
	n := mustNew(t, []string{"kill-one", "pause-one", "packet", "partition"}, 4*time.Second, 1)
	ft := newFake(t, 5)
	n.Start(ft, 20*time.Second)
	ft.run(7 * time.Second)
	var starts []int64
	for _, f := range n.Faults() {
		starts = append(starts, f.Start)
	}
	want := []int64{int64(4 * time.Second), int64(5 * time.Second), int64(6 * time.Second), int64(7 * time.Second)}
	if !slices.Equal(starts, want) {
		t.Fatalf("starts %v, want %v", starts, want)
	}
}

func TestHealAll(t *testing.T) {
	n := mustNew(t, []string{"partition", "kill", "pause", "packet", "clock"}, time.Second, 7)
	ft := newFake(t, 5)
	n.Start(ft, time.Minute)
	ft.run(secs(1.9))
	if err := ft.healthy(); err == nil {
		t.Fatal("nothing faulted at 1.9s")
	}
	faults := n.Faults()
	if len(faults) != 5 {
		t.Fatalf("faults at 1.9s: %v", faults)
	}
	for _, f := range faults {
		if f.End != int64(secs(1.9)) {
			t.Errorf("active fault %+v does not end now", f)
		}
	}
	ft.now = 2 * time.Second // HealAll comes between events
	n.HealAll()
	if err := ft.healthy(); err != nil {
		t.Fatal(err)
	}
	for _, f := range n.Faults() {
		if f.End != int64(2*time.Second) {
			t.Errorf("fault %+v not closed by HealAll", f)
		}
	}
	ft.run(time.Minute)
	if got := len(n.Faults()); got != 5 {
		t.Errorf("%d faults after HealAll, want still 5", got)
	}
	if err := ft.healthy(); err != nil {
		t.Fatal(err)
	}
	if err := n.Err(); err != nil {
		t.Fatal(err)
	}
}

// runLog runs every kind of fault and returns the nemesis's log.
func runLog(t *testing.T, seed uint64) []string {
	var log []string
	n := mustNew(t, []string{"partition", "kill", "pause", "packet", "clock"}, 500*time.Millisecond, seed)
	n.Logf = func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	ft := newFake(t, 5)
	ft.roles["n1"] = "leader"
	n.Start(ft, 30*time.Second)
	ft.run(30 * time.Second)
	n.HealAll()
	if err := ft.healthy(); err != nil {
		t.Fatal(err)
	}
	return log
}

func TestDeterminism(t *testing.T) {
	a, b, c := runLog(t, 1), runLog(t, 1), runLog(t, 2)
	if len(a) < 100 {
		t.Fatalf("only %d log lines", len(a))
	}
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different actions")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same actions")
	}
	for _, line := range a {
		if !strings.HasPrefix(line, "nemesis ") || strings.Contains(line, "error") {
			t.Fatalf("log line %q", line)
		}
	}
}

// Over many cycles every shape of kill and pause runs, overlapping, and every
// node comes back; the fake target fails the test on a double kill or a
// resume of a running node.
func TestKillPauseRestoreEveryNode(t *testing.T) {
	for _, kinds := range [][]string{
		{"kill"}, {"pause"}, {"kill", "pause"}, {"kill", "kill-all", "pause-majority", "pause-one"},
	} {
		t.Run(strings.Join(kinds, "+"), func(t *testing.T) {
			n := mustNew(t, kinds, 300*time.Millisecond, 3)
			ft := newFake(t, 5)
			shapes := map[string]bool{}
			n.Logf = func(format string, args ...any) {
				line := fmt.Sprintf(format, args...)
				if f := strings.Fields(line); len(f) > 4 && f[2] == "start" {
					shapes[f[4]] = true
				}
			}
			n.Start(ft, 20*time.Second)
			// Check the fake's state against the open windows as it runs.
			for at := 10 * time.Millisecond; at < 25*time.Second; at += 100 * time.Millisecond { // never on a 75ms boundary
				ft.run(at)
				down := map[string]bool{}
				for _, f := range n.Faults() {
					if f.End == int64(at) {
						for _, node := range nodesOf(f) {
							down[node] = true
						}
					}
				}
				for _, node := range ft.nodes {
					if down[node] != (ft.dead[node] || ft.paused[node]) {
						t.Fatalf("%v: %s held by a fault %v, but dead %v paused %v", at, node, down[node], ft.dead[node], ft.paused[node])
					}
				}
			}
			if err := ft.healthy(); err != nil {
				t.Fatal(err)
			}
			if len(kinds) == 1 && len(shapes) != 5 {
				t.Errorf("shapes used: %v, want all five", shapes)
			}
		})
	}
}

// nodesOf parses the node list of a kill or pause detail, "shape [n1,n2]".
func nodesOf(f history.Fault) []string {
	i := strings.Index(f.Detail, "[")
	if i < 0 {
		return nil
	}
	return strings.Split(strings.Trim(f.Detail[i:], "[]"), ",")
}

func TestLeaderTargeting(t *testing.T) {
	for _, kind := range []string{"kill-leader", "pause-leader", "partition-leader"} {
		t.Run(kind, func(t *testing.T) {
			n := mustNew(t, []string{kind}, time.Second, 5)
			ft := newFake(t, 5)
			ft.roles["n3"] = "leader"
			ft.roles["n1"] = "follower"
			n.Start(ft, 10*time.Second)
			ft.run(secs(1.5))
			switch kind {
			case "kill-leader":
				if !ft.dead["n3"] || len(ft.dead) != 1 {
					t.Fatalf("dead %v", ft.dead)
				}
			case "pause-leader":
				if !ft.paused["n3"] || len(ft.paused) != 1 {
					t.Fatalf("paused %v", ft.paused)
				}
			case "partition-leader":
				if len(ft.grudge["n3"]) != 4 {
					t.Fatalf("grudge %v", ft.grudge)
				}
			}
			if d := n.Faults()[0].Detail; !strings.Contains(d, "n3") {
				t.Errorf("detail %q does not name n3", d)
			}
			ft.run(20 * time.Second)
			if err := ft.healthy(); err != nil {
				t.Fatal(err)
			}
		})
	}
	// A primary counts too; several leaders are all killed.
	n := mustNew(t, []string{"kill-leader"}, time.Second, 5)
	ft := newFake(t, 5)
	ft.roles["n0"], ft.roles["n4"] = "primary", "leader"
	n.Start(ft, 10*time.Second)
	ft.run(secs(1.5))
	if !ft.dead["n0"] || !ft.dead["n4"] || len(ft.dead) != 2 {
		t.Fatalf("dead %v", ft.dead)
	}
	// Custom roles.
	n = mustNew(t, []string{"kill-leader"}, time.Second, 5)
	n.LeaderRoles = []string{"head"}
	ft = newFake(t, 5)
	ft.roles["n2"], ft.roles["n4"] = "head", "leader"
	n.Start(ft, 10*time.Second)
	ft.run(secs(1.5))
	if !ft.dead["n2"] || len(ft.dead) != 1 {
		t.Fatalf("dead %v", ft.dead)
	}
	// No leader: one random node.
	n = mustNew(t, []string{"kill-leader"}, time.Second, 5)
	ft = newFake(t, 5)
	n.Start(ft, 10*time.Second)
	ft.run(secs(1.5))
	if len(ft.dead) != 1 {
		t.Fatalf("dead %v", ft.dead)
	}
	if d := n.Faults()[0].Detail; !strings.Contains(d, "none reported") {
		t.Errorf("fallback detail %q", d)
	}
}

func TestClock(t *testing.T) {
	t.Run("bump", func(t *testing.T) {
		for seed := range uint64(10) {
			n := mustNew(t, []string{"clock-bump"}, time.Second, seed)
			ft := newFake(t, 5)
			n.Start(ft, 10*time.Second)
			ft.run(secs(1.5))
			if len(ft.offsets) == 0 {
				t.Fatal("no clock offset set")
			}
			for node, d := range ft.offsets {
				if d.Abs() < 100*time.Millisecond || d.Abs() > 10*time.Second {
					t.Errorf("%s offset %v outside ±100ms..±10s", node, d)
				}
				if !strings.Contains(n.Faults()[0].Detail, node) {
					t.Errorf("detail %q does not name %s", n.Faults()[0].Detail, node)
				}
			}
			ft.run(secs(2.5))
			if len(ft.offsets) != 0 {
				t.Fatalf("offsets after stop: %v", ft.offsets)
			}
		}
	})
	t.Run("strobe", func(t *testing.T) {
		n := mustNew(t, []string{"clock-strobe"}, time.Second, 1)
		ft := newFake(t, 3)
		n.Start(ft, 2*time.Second)
		ft.run(time.Second)
		var values []time.Duration
		for at := time.Second + time.Millisecond; at < 2*time.Second; at += time.Millisecond {
			ft.run(at)
			var sum time.Duration
			for _, d := range ft.offsets {
				sum += d
			}
			values = append(values, sum)
		}
		slices.Sort(values)
		if distinct := slices.Compact(values); len(distinct) != 2 || distinct[0]*distinct[1] != 0 {
			t.Fatalf("strobe offsets %v, want zero and one other", distinct)
		}
		ft.run(2 * time.Second)
		sets := ft.clockSets
		ft.run(10 * time.Second)
		if len(ft.offsets) != 0 || ft.clockSets != sets {
			t.Fatalf("strobe went on after stop: offsets %v, %d more sets", ft.offsets, ft.clockSets-sets)
		}
		if len(ft.events) != 0 {
			t.Fatalf("%d events left", len(ft.events))
		}
	})
	t.Run("overlap", func(t *testing.T) {
		// Two clock schedules on one node: stopping one leaves the other's offset.
		n := mustNew(t, []string{"clock-bump", "clock"}, time.Second, 1)
		ft := newFake(t, 1)
		n.Start(ft, 10*time.Second)
		for at := 100 * time.Millisecond; at <= 12*time.Second; at += 100 * time.Millisecond {
			ft.run(at)
			if ft.now >= secs(1.5) && ft.now < 2*time.Second && len(ft.offsets) == 0 {
				t.Fatalf("%v: bump's offset lost", ft.now)
			}
		}
		if len(ft.offsets) != 0 {
			t.Fatalf("offsets left: %v", ft.offsets)
		}
	})
}

func TestPacket(t *testing.T) {
	seen := map[string]bool{}
	for seed := range uint64(30) {
		n := mustNew(t, []string{"packet"}, time.Second, seed)
		ft := newFake(t, 3)
		n.Start(ft, 10*time.Second)
		ft.run(secs(1.5))
		p := ft.packets
		if !p.Active() || p.Loss > 0.5 || p.Dup > 0.5 || p.Reorder > 0.5 || p.Delay > time.Second {
			t.Fatalf("packet faults %+v", p)
		}
		seen[n.Faults()[0].Detail] = true
		ft.run(secs(2.5))
		if ft.packets.Active() {
			t.Fatalf("packet faults after stop: %+v", ft.packets)
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct packet faults in 30 seeds", len(seen))
	}
	n := mustNew(t, []string{"packet-loss"}, time.Second, 1)
	ft := newFake(t, 3)
	n.Start(ft, 10*time.Second)
	ft.run(secs(1.5))
	if p := ft.packets; p.Loss == 0 || p.Dup != 0 || p.Delay != 0 || p.Reorder != 0 {
		t.Errorf("packet-loss set %+v", p)
	}
}

// Like Jepsen's, the packet nemesis aims at the links of some nodes: one, a
// minority, a majority, the leader, or all (no targets).
func TestPacketTargets(t *testing.T) {
	shapes := map[string]bool{}
	for seed := range uint64(60) {
		n := mustNew(t, []string{"packet"}, time.Second, seed)
		ft := newFake(t, 5)
		ft.roles["n3"] = "primary"
		n.Start(ft, 10*time.Second)
		ft.run(secs(1.5))
		p, detail := ft.packets, n.Faults()[0].Detail
		switch {
		case len(p.Targets) == 0:
			shapes["all"] = true
		case strings.Contains(detail, "leader"):
			if !slices.Equal(p.Targets, []string{"n3"}) {
				t.Fatalf("leader-targeted packet faults hit %v, want [n3]: %s", p.Targets, detail)
			}
			shapes["leader"] = true
		default:
			shapes[strconv.Itoa(len(p.Targets))] = true
		}
		if !strings.Contains(detail, "on the links of") {
			t.Fatalf("detail %q does not say which links", detail)
		}
	}
	for _, want := range []string{"all", "leader", "1", "2", "3"} {
		if !shapes[want] {
			t.Errorf("no packet fault on %s node(s) in 60 seeds: %v", want, shapes)
		}
	}
}

// Overlapping packet faults act together: the strongest of each behaviour,
// on the union of their targets, or on every link if one has no targets.
func TestOverlappingPacketFaultsUnionTargets(t *testing.T) {
	n := mustNew(t, []string{"packet"}, time.Second, 1)
	n.t = newFake(t, 5)
	packet := lookup("packet")
	n.active = []*fault{
		{kind: packet, packet: network.PacketFaults{Loss: 0.2, Burst: 50 * time.Millisecond, Targets: []string{"n3"}}},
		{kind: packet, packet: network.PacketFaults{Delay: time.Millisecond, Targets: []string{"n1"}}},
	}
	p := n.packetFaults()
	if p.Loss != 0.2 || p.Burst != 50*time.Millisecond || p.Delay != time.Millisecond || !slices.Equal(p.Targets, []string{"n1", "n3"}) {
		t.Fatalf("merged %+v", p)
	}
	n.active = append(n.active, &fault{kind: packet, packet: network.PacketFaults{Dup: 0.1}})
	if p := n.packetFaults(); len(p.Targets) != 0 || p.Dup != 0.1 {
		t.Fatalf("a fault on every link must widen the merge to every link: %+v", p)
	}
}

// Stopping a partition heals the network, which must not clear packet faults
// still in force.
func TestPartitionStopKeepsPacketFaults(t *testing.T) {
	n := mustNew(t, []string{"partition-one", "packet"}, 2*time.Second, 1)
	ft := newFake(t, 5)
	n.Start(ft, 30*time.Second)
	ft.run(secs(3.5)) // partition-one 2-4, packet 3-5
	if len(ft.grudge) == 0 || !ft.packets.Active() {
		t.Fatalf("at 3.5s: grudge %v, packets %+v", ft.grudge, ft.packets)
	}
	ft.run(secs(4.5))
	if len(ft.grudge) != 0 {
		t.Fatalf("partition not healed at 4.5s: %v", ft.grudge)
	}
	if !ft.packets.Active() {
		t.Fatal("stopping the partition cleared the packet faults")
	}
	ft.run(time.Minute)
	if err := ft.healthy(); err != nil {
		t.Fatal(err)
	}
}

// Overlapping partitions combine, and stopping one leaves the other.
func TestOverlappingPartitions(t *testing.T) {
	n := mustNew(t, []string{"partition-one", "partition-halves"}, 2*time.Second, 1)
	ft := newFake(t, 5)
	n.Start(ft, 30*time.Second)
	ft.run(secs(3.5)) // one 2-4, halves 3-5
	both := ft.grudge
	ft.run(secs(4.5))
	halves := ft.grudge
	if len(halves) == 0 {
		t.Fatal("stopping one partition healed the other")
	}
	if groups(t, halves, ft.nodes); len(both.String()) <= len(halves.String()) {
		t.Fatalf("union %v adds nothing to halves %v", both, halves)
	}
	for dest, srcs := range halves {
		for _, src := range srcs {
			if !drops(both, dest, src) {
				t.Fatalf("union %v lacks %s<-x-%s of halves %v", both, dest, src, halves)
			}
		}
	}
	ft.run(time.Minute)
	if err := ft.healthy(); err != nil {
		t.Fatal(err)
	}
}

func TestTargetErrors(t *testing.T) {
	n := mustNew(t, []string{"kill-all"}, time.Second, 1)
	ft := newFake(t, 3)
	ft.failKill["n1"] = true
	n.Start(ft, 5*time.Second)
	ft.run(secs(1.5))
	if f := n.Faults(); len(f) != 1 || f[0].Detail != "all [n0,n2]" {
		t.Fatalf("faults %v", f)
	}
	if err := n.Err(); err == nil || !strings.Contains(err.Error(), "cannot kill n1") {
		t.Fatalf("Err() = %v", err)
	}
	ft.run(10 * time.Second)
	if err := ft.healthy(); err != nil {
		t.Fatal(err)
	}

	n = mustNew(t, []string{"partition"}, time.Second, 1)
	ft = newFake(t, 3)
	ft.failPartition = true
	n.Start(ft, 5*time.Second)
	ft.run(10 * time.Second)
	if f := n.Faults(); len(f) != 0 {
		t.Fatalf("refused partitions recorded as faults: %v", f)
	}
	if err := n.Err(); err == nil || !strings.Contains(err.Error(), "partition refused") {
		t.Fatalf("Err() = %v", err)
	}
}

func TestTinyClusters(t *testing.T) {
	kinds := []string{"partition", "kill", "pause", "packet", "clock"}
	for size := range 3 {
		n := mustNew(t, kinds, 200*time.Millisecond, 1)
		ft := newFake(t, size)
		n.Start(ft, 20*time.Second)
		ft.run(10 * time.Second)
		n.HealAll()
		if err := ft.healthy(); err != nil {
			t.Fatalf("%d nodes: %v", size, err)
		}
		if err := n.Err(); err != nil {
			t.Fatalf("%d nodes: %v", size, err)
		}
	}
}

// ---- against the simulator ----

// roleNode reports a fixed role and answers nothing.
type roleNode struct{ role string }

func (r *roleNode) Init(env nodes.Env) {
	if r.role != "" {
		env.SetRole(r.role)
	}
}
func (r *roleNode) Handle(maelstrom.Msg) {}

func simCluster(n int, leader string) *sim.Sim {
	s := sim.New(sim.Config{Seed: 1, Network: network.Config{Latency: time.Millisecond}})
	for _, id := range nodeIDs(n) {
		role := ""
		if id == leader {
			role = "leader"
		}
		s.AddServer(id, func() nodes.Node { return &roleNode{role: role} })
	}
	s.Start()
	return s
}

func TestSimulator(t *testing.T) {
	s := simCluster(5, "n2")
	n := mustNew(t, []string{"kill-leader"}, time.Second, 1)
	var log []string
	n.Logf = func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	n.Start(s, 10*time.Second)
	if err := s.RunUntil(secs(1.5)); err != nil {
		t.Fatal(err)
	}
	if s.Alive("n2") {
		t.Fatal("leader n2 still alive")
	}
	if err := s.RunUntil(secs(2.5)); err != nil {
		t.Fatal(err)
	}
	if !s.Alive("n2") || s.Role("n2") != "leader" {
		t.Fatal("n2 not restarted")
	}
	if err := s.RunUntil(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	n.HealAll()
	faults := n.Faults()
	if len(faults) != 5 {
		t.Fatalf("faults %v", faults)
	}
	for _, f := range faults {
		if f.Detail != "leader [n2]" || f.End-f.Start != int64(time.Second) {
			t.Errorf("fault %+v", f)
		}
	}
	if !history.Active(faults, int64(secs(1.5))) || history.Active(faults, int64(secs(2.5))) {
		t.Error("windows do not cover the kill")
	}
	if err := n.Err(); err != nil {
		t.Fatal(err)
	}
	if len(log) != 10 {
		t.Errorf("log: %q", log)
	}
}

func simLog(t *testing.T, seed uint64) []string {
	s := simCluster(5, "n0")
	n := mustNew(t, []string{"partition", "kill", "pause", "packet", "clock"}, 300*time.Millisecond, seed)
	var log []string
	n.Logf = func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	n.Start(s, 15*time.Second)
	if err := s.RunUntil(15 * time.Second); err != nil {
		t.Fatal(err)
	}
	n.HealAll()
	if err := s.RunUntil(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, id := range s.Nodes() {
		if !s.Alive(id) {
			t.Fatalf("%s down after HealAll", id)
		}
	}
	if err := n.Err(); err != nil {
		t.Fatal(err)
	}
	return log
}

func TestSimulatorDeterminism(t *testing.T) {
	a, b, c := simLog(t, 1), simLog(t, 1), simLog(t, 2)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different actions")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same actions")
	}
}

// Silent names exactly the kinds that Start's schedule lets inject nothing
// before the limit: a warning built on it is neither missing nor false.
func TestSilentKindsAreTheOnesThatNeverFire(t *testing.T) {
	kinds := []string{"kill-one", "pause-one", "partition"}
	for _, tc := range []struct {
		interval, until time.Duration
		silent          []string
	}{
		{10 * time.Second, 5 * time.Second, kinds}, // --time-limit 5 with the default interval
		{10 * time.Second, 10 * time.Second, kinds},
		{3 * time.Second, 4 * time.Second, []string{"pause-one", "partition"}}, // first starts at 3, 4, 5 s
		{3 * time.Second, secs(4.5), []string{"partition"}},
		{time.Second, 30 * time.Second, nil},
	} {
		n := mustNew(t, kinds, tc.interval, 1)
		if got := n.Silent(tc.until); !slices.Equal(got, tc.silent) {
			t.Errorf("interval %v until %v: Silent = %v, want %v", tc.interval, tc.until, got, tc.silent)
		}
		ft := newFake(t, 5)
		n.Start(ft, tc.until)
		ft.run(tc.until + 3*tc.interval)
		fired := map[string]bool{}
		for _, f := range n.Faults() {
			fired[f.Kind] = true
		}
		for i, kind := range kinds {
			family := []string{"kill", "pause", "partition"}[i]
			if fired[family] == slices.Contains(tc.silent, kind) {
				t.Errorf("interval %v until %v: %s fired %v, but Silent says %v", tc.interval, tc.until, kind, fired[family], tc.silent)
			}
		}
	}
}

// With clients, a pause fault also pauses a lock holder, waiting for one to
// appear, and a clock fault also skews clients' clocks; without, clients
// are never touched.
func TestClientFaults(t *testing.T) {
	clients := []string{"c0", "c1", "c2"}
	t.Run("pause waits for a holder", func(t *testing.T) {
		n := mustNew(t, []string{"pause-one"}, time.Second, 1)
		n.Clients, n.HolderRole = clients, "holder"
		ft := newFake(t, 3)
		ft.clients = clients
		n.Start(ft, 10*time.Second)
		ft.run(secs(1.1))
		if len(ft.paused) != 1 {
			t.Fatalf("paused %v, want one server and no client yet", ft.paused)
		}
		ft.roles["c1"] = "holder"
		ft.run(secs(1.1) + 2*time.Millisecond)
		if !ft.paused["c1"] || len(ft.paused) != 2 {
			t.Fatalf("paused %v, want the holder c1 too", ft.paused)
		}
		if d := n.Faults()[0].Detail; !strings.Contains(d, "holder c1") {
			t.Fatalf("detail %q does not name the holder", d)
		}
		ft.run(secs(2.5))
		if ft.paused["c1"] {
			t.Fatal("the holder stays paused after the fault stopped")
		}
		ft.run(20 * time.Second)
		if err := ft.healthy(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("clock skews clients", func(t *testing.T) {
		n := mustNew(t, []string{"clock-bump"}, time.Second, 1)
		n.Clients = clients
		ft := newFake(t, 3)
		ft.clients = clients
		n.Start(ft, 10*time.Second)
		ft.run(secs(1.5))
		skewed := 0
		for _, c := range clients {
			if ft.offsets[c] != 0 {
				skewed++
			}
		}
		if skewed == 0 || !strings.Contains(n.Faults()[0].Detail, "clients") {
			t.Fatalf("no client skewed: offsets %v, detail %q", ft.offsets, n.Faults()[0].Detail)
		}
		ft.run(20 * time.Second)
		if err := ft.healthy(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("without clients they are left alone", func(t *testing.T) {
		n := mustNew(t, []string{"pause", "clock"}, time.Second, 1)
		ft := newFake(t, 3)
		ft.clients = clients
		ft.roles["c0"] = "holder"
		n.Start(ft, 10*time.Second)
		for at := secs(0.5); at < 10*time.Second; at += 100 * time.Millisecond {
			ft.run(at)
			for _, c := range clients {
				if ft.paused[c] || ft.offsets[c] != 0 {
					t.Fatalf("%v: client %s touched", at, c)
				}
			}
		}
	})
}
