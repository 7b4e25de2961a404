// Package locktest runs the locking strategies in the simulator for their
// tests, with the standard run: five nodes, 30 s at 50
// acquisitions a second.
package locktest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	lockcheck "github.com/ddbbench/ddbbench/checkers/lock"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/runtime/network"
)

// Nemeses are the suite's faults.
var Nemeses = []string{"none", "partition", "kill", "pause", "packet", "clock"}

// Config is `--node-count 5 --time-limit 30 --rate 50` with the suite's
// network (5 ms exponential latency), faults every 5 s and a 2 s client
// timeout, and a check budget past which the verdict is unknown.
func Config(nemesis string, seed int64) harness.Config {
	c := harness.Defaults()
	c.NodeCount, c.TimeLimit, c.Rate, c.Seed = 5, 30*time.Second, 50, seed
	c.Latency, c.LatencyDist = 5*time.Millisecond, string(network.Exponential)
	c.NemesisInterval, c.OpTimeout = 5*time.Second, 2*time.Second
	c.CheckTimeout = 30 * time.Second
	if nemesis != "none" {
		c.Nemesis = []string{nemesis}
	}
	return c
}

// Run simulates and checks one run.
func Run(t testing.TB, s nodes.Strategy, c harness.Config) *reports.Run {
	t.Helper()
	out, err := harness.SimulateWith(context.Background(), c, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Nemesis != nil && len(out.Faults) == 0 {
		t.Errorf("%s under %v, seed %d: no fault was injected", s.Name, c.Nemesis, c.Seed)
	}
	return harness.Check(out)
}

// Describe is a run's verdicts and figures on a few lines.
func Describe(r *reports.Results) string {
	var b strings.Builder
	avail := "-"
	if r.Availability != nil {
		avail = fmt.Sprintf("%.3f", *r.Availability)
	}
	fmt.Fprintf(&b, "valid %v, availability %s, p50 %.1f ms, p99 %.1f ms, %.2f server msgs/acquisition", r.Valid, avail,
		r.Latency.Overall.P50, r.Latency.Overall.P99, r.Messages.ServerPerOp)
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "\n  %s: %v %s", c.Checker, c.Valid, c.Summary)
	}
	return b.String()
}

// RequireValid runs every nemesis over seeds 1..seeds, in parallel
// subtests, and fails any run that is not valid.
func RequireValid(t *testing.T, s nodes.Strategy, nemeses []string, seeds int64) {
	for _, nem := range nemeses {
		for seed := int64(1); seed <= seeds; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", nem, seed), func(t *testing.T) {
				t.Parallel()
				r := Run(t, s, Config(nem, seed)).Results
				t.Log(Describe(&r))
				if r.Valid != checkers.Valid {
					t.Fatalf("%s under %s, seed %d: want valid\n%s", s.Name, nem, seed, Describe(&r))
				}
			})
		}
	}
}

// RequireCaught fails unless some seed in 1..maxSeed is invalid with the
// mutual-exclusion checker naming two overlapping holders; it returns the
// overlap.
func RequireCaught(t *testing.T, s nodes.Strategy, nemesis string, maxSeed int64) lockcheck.Overlap {
	t.Helper()
	for seed := int64(1); seed <= maxSeed; seed++ {
		r := Run(t, s, Config(nemesis, seed)).Results
		if r.Valid != checkers.Invalid {
			continue
		}
		i := slices.IndexFunc(r.Checks, func(c checkers.Result) bool { return c.Checker == "mutual-exclusion" })
		ev, ok := r.Checks[i].Evidence.(lockcheck.MutexEvidence)
		if !ok || ev.OverlapCount == 0 {
			t.Fatalf("%s under %s, seed %d: invalid without overlapping holders\n%s", s.Name, nemesis, seed, Describe(&r))
		}
		o := ev.Overlaps[0]
		if o.First.Owner == o.Second.Owner || o.First.Owner == "" || o.Second.Owner == "" {
			t.Fatalf("%s under %s, seed %d: the evidence does not name two holders: %+v", s.Name, nemesis, seed, o)
		}
		t.Logf("%s under %s: caught with seed %d\n%s", s.Name, nemesis, seed, Describe(&r))
		return o
	}
	t.Fatalf("%s under %s: no overlapping holders caught in seeds 1-%d", s.Name, nemesis, maxSeed)
	return lockcheck.Overlap{}
}

// RequireExpectations checks that a locking strategy declares the lock
// workload and one expectation per nemesis, each with a reason and a
// reference, and that exactly the named ones are unsafe.
func RequireExpectations(t *testing.T, s nodes.Strategy, unsafe ...string) {
	t.Helper()
	if s.Group != "locking" || s.ServedWorkload() != "lock" {
		t.Errorf("%s: group %q workload %q, want locking and lock", s.Name, s.Group, s.ServedWorkload())
	}
	for _, nem := range Nemeses {
		i := slices.IndexFunc(s.Expect, func(e nodes.Expectation) bool { return e.Nemesis == nem })
		if i < 0 {
			t.Errorf("%s: no expectation for %s", s.Name, nem)
			continue
		}
		e := s.Expect[i]
		if e.Reason == "" || e.Reference == "" {
			t.Errorf("%s under %s: expectation without a reason or a reference", s.Name, nem)
		}
		if e.Safe == slices.Contains(unsafe, nem) {
			t.Errorf("%s under %s: declared safe=%v", s.Name, nem, e.Safe)
		}
	}
	if len(s.Expect) != len(Nemeses) {
		t.Errorf("%s: %d expectations for %d nemeses", s.Name, len(s.Expect), len(Nemeses))
	}
}
