package nemesis

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// phaseTarget is a fakeTarget whose nodes enter phases at given times.
type phaseTarget struct {
	*fakeTarget
	watches []*watch
}

type watch struct {
	phase string
	f     func(string)
}

func (p *phaseTarget) WatchPhase(phase string, f func(string)) func() {
	w := &watch{phase: phase, f: f}
	p.watches = append(p.watches, w)
	return func() { p.watches = slices.DeleteFunc(p.watches, func(x *watch) bool { return x == w }) }
}

// enter makes node enter phase at time at, as a node's report would.
func (p *phaseTarget) enter(at time.Duration, node, phase string) {
	p.After(at-p.now, func() {
		if p.dead[node] {
			return
		}
		for _, w := range slices.Clone(p.watches) {
			if w.phase == phase {
				p.watches = slices.DeleteFunc(p.watches, func(x *watch) bool { return x == w })
				w.f(node)
			}
		}
	})
}

// kill-coordinator arms at its scheduled start and kills the first node
// to enter the deciding phase, at that instant, for an interval; a cycle
// in which no node decides is skipped, and the schedule goes on.
func TestKillCoordinatorStrikesTheFirstNodeToDecide(t *testing.T) {
	ft := &phaseTarget{fakeTarget: newFake(t, 3)}
	n := mustNew(t, []string{"kill-coordinator"}, time.Second, 1)
	var log []string
	n.Logf = func(format string, args ...any) { log = append(log, format) }
	// Armed at 1 s: n2 decides at 1.5 s (n1's report at 0.5 s came before
	// the arming). Down until 2.5 s; armed again at 3.5 s, nobody decides
	// until 4.5 s: skipped. Armed at 5.5 s: n0 decides at 6 s.
	ft.enter(500*time.Millisecond, "n1", DecidingPhase)
	ft.enter(1500*time.Millisecond, "n2", DecidingPhase)
	ft.enter(1600*time.Millisecond, "n0", DecidingPhase) // n2 is down already: one target per fault
	ft.enter(6*time.Second, "n0", DecidingPhase)
	n.Start(ft, 7*time.Second)
	ft.run(20 * time.Second)
	faults := n.Faults()
	want := []struct {
		node       string
		start, end float64
	}{{"n2", 1.5, 2.5}, {"n0", 6, 7}}
	if len(faults) != len(want) {
		t.Fatalf("faults %+v, want kills of %v", faults, want)
	}
	for i, f := range faults {
		w := want[i]
		if f.Kind != "kill" || !strings.Contains(f.Detail, w.node) || f.Start != int64(secs(w.start)) || f.End != int64(secs(w.end)) {
			t.Errorf("fault %d = %+v, want a kill of %s from %vs to %vs", i, f, w.node, w.start, w.end)
		}
	}
	if !slices.ContainsFunc(log, func(l string) bool { return strings.Contains(l, "skip") }) {
		t.Errorf("the cycle in which no node decided was not logged as skipped: %q", log)
	}
	if err := ft.healthy(); err != nil {
		t.Error(err)
	}
	if len(ft.watches) != 0 {
		t.Errorf("%d watches left armed after the end", len(ft.watches))
	}
}

// HealAll disarms a waiting kill-coordinator: a node deciding after the
// heal is not struck.
func TestHealAllDisarmsKillCoordinator(t *testing.T) {
	ft := &phaseTarget{fakeTarget: newFake(t, 3)}
	n := mustNew(t, []string{"kill-coordinator"}, time.Second, 1)
	n.Start(ft, 10*time.Second)
	ft.run(1200 * time.Millisecond) // armed at 1 s
	n.HealAll()
	ft.enter(1500*time.Millisecond, "n1", DecidingPhase)
	ft.run(5 * time.Second)
	if len(n.Faults()) != 0 || ft.dead["n1"] {
		t.Fatalf("struck after HealAll: %+v", n.Faults())
	}
}

// Without phase reports (real processes), the kind never strikes.
func TestKillCoordinatorNeedsPhaseReports(t *testing.T) {
	ft := newFake(t, 3)
	n := mustNew(t, []string{"kill-coordinator"}, time.Second, 1)
	n.Start(ft, 5*time.Second)
	ft.run(20 * time.Second)
	if len(n.Faults()) != 0 {
		t.Fatalf("faults %+v without phase reports", n.Faults())
	}
	if !NeedsPhases("kill-coordinator") || NeedsPhases("kill") || NeedsPhases("bogus") {
		t.Fatal("NeedsPhases is wrong")
	}
}
