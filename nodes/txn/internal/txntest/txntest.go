// Package txntest runs the transactional strategies in the simulator for
// their tests, and reads what a run's history says independently of the
// Elle checker: the final reads, acknowledged and failed writes, and
// duplicated list elements.
package txntest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/reports"
)

// Config is the tests' standard run: 3 nodes, 20 s at 100 transactions a
// second from 6 clients, exponential latency with a 5 ms mean (constant
// latency would deliver to every node at once and hide races), faults
// every 3 s.
func Config(workload, nemesis string, seed int64, models ...string) harness.Config {
	c := harness.Defaults()
	c.Workload = workload
	c.NodeCount, c.Concurrency, c.TimeLimit, c.Rate, c.Seed = 3, 6, 20*time.Second, 100, seed
	c.Latency, c.LatencyDist = 5*time.Millisecond, "exponential"
	c.NemesisInterval = 3 * time.Second
	c.OpTimeout = 2 * time.Second
	if nemesis != "none" {
		c.Nemesis = []string{nemesis}
	}
	if len(models) > 0 {
		c.Txn.Models = models
	}
	return c
}

// Run simulates and checks one run.
func Run(t *testing.T, s nodes.Strategy, c harness.Config) (*harness.Outcome, *reports.Run) {
	t.Helper()
	out, err := harness.SimulateWith(context.Background(), c, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Nemesis != nil && len(out.Faults) == 0 {
		t.Fatalf("%s: no fault was injected", c.Nemesis)
	}
	return out, harness.Check(out)
}

// Describe is a run's verdict and checks, for a failure message.
func Describe(run *reports.Run) string {
	var b strings.Builder
	r := &run.Results
	fmt.Fprintf(&b, "%s: %v, availability %.4f, %d ops\n", r.Name, r.Valid, r.AvailabilityOrZero(), r.Messages.Operations)
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %s: %v %s\n", c.Checker, c.Valid, c.Summary)
	}
	return b.String()
}

// Elle returns the run's Elle check.
func Elle(t *testing.T, run *reports.Run) checkers.Result {
	t.Helper()
	for _, c := range run.Results.Checks {
		if c.Checker == "elle" {
			return c
		}
	}
	t.Fatalf("no elle check: %s", Describe(run))
	return checkers.Result{}
}

// Finals is what the final reads saw: per node, per key.
func Finals(t *testing.T, h history.History) map[string]map[int]any {
	t.Helper()
	out := map[string]map[int]any{}
	for _, op := range h {
		if !op.Final {
			continue
		}
		if op.Outcome != history.OK {
			t.Fatalf("final read on %s did not succeed: %s %+v", op.Node, op.Outcome, op.Error)
		}
		if out[op.Node] == nil {
			out[op.Node] = map[int]any{}
		}
		for _, m := range op.Result.(txn.Txn) {
			out[op.Node][m.Key] = m.Value
		}
	}
	return out
}

// RequireConverged fails unless every node's final reads saw the same
// values, and returns them.
func RequireConverged(t *testing.T, finals map[string]map[int]any) map[int]any {
	t.Helper()
	var first string
	for node := range finals {
		if first == "" || node < first {
			first = node
		}
	}
	for node, values := range finals {
		for k, v := range values {
			if want := finals[first][k]; !reflect.DeepEqual(v, want) {
				t.Fatalf("key %d: %s reads %v, %s reads %v", k, node, v, first, want)
			}
		}
	}
	return finals[first]
}

// Writes lists the appends of transactions with the given outcome, as
// (key, element) pairs.
func Writes(h history.History, outcome history.Outcome) [][2]int {
	var out [][2]int
	for _, op := range h {
		if op.Final || op.Outcome != outcome {
			continue
		}
		for _, m := range op.Value.(txn.Txn) {
			if m.F == txn.Append || m.F == txn.Write {
				out = append(out, [2]int{m.Key, m.Value.(int)})
			}
		}
	}
	return out
}

// RequireListsSound fails when a final list holds an element twice, lacks
// an acknowledged append, or holds the append of a failed transaction.
func RequireListsSound(t *testing.T, h history.History, lists map[int]any) {
	t.Helper()
	has := map[[2]int]bool{}
	for k, v := range lists {
		for _, e := range v.([]int) {
			if has[[2]int{k, e}] {
				t.Fatalf("key %d: element %d twice in %v", k, e, v)
			}
			has[[2]int{k, e}] = true
		}
	}
	for _, w := range Writes(h, history.OK) {
		if !has[w] {
			t.Fatalf("acknowledged append of %d to key %d is missing from the final read %v", w[1], w[0], lists[w[0]])
		}
	}
	for _, w := range Writes(h, history.Fail) {
		if has[w] {
			t.Fatalf("failed append of %d to key %d is in the final read %v", w[1], w[0], lists[w[0]])
		}
	}
}

// Count is how many main-phase transactions ended with the outcome, and
// how many of those carried the error code (any code when code < 0).
func Count(h history.History, outcome history.Outcome, code int) int {
	n := 0
	for _, op := range h {
		if op.Final || op.Outcome != outcome {
			continue
		}
		if code < 0 || (op.Error != nil && op.Error.Code == code) {
			n++
		}
	}
	return n
}

// RequireElle fails unless the run's Elle verdict is want, and returns the
// check.
func RequireElle(t *testing.T, run *reports.Run, want checkers.Validity) checkers.Result {
	t.Helper()
	c := Elle(t, run)
	if c.Valid != want {
		t.Fatalf("elle: %v, want %v\n%s", c.Valid, want, Describe(run))
	}
	return c
}

// RequireExpectations runs each of s's expectations under its served
// workload and Elle's default model (strict serializable), as the suite
// does: a safe one must be valid in every seed, an unsafe one caught in
// some seed.
func RequireExpectations(t *testing.T, s nodes.Strategy, seeds int64, adjust func(*harness.Config)) {
	t.Helper()
	for _, e := range s.Expect {
		t.Run(e.Nemesis, func(t *testing.T) {
			t.Parallel()
			caught := false
			for seed := int64(1); seed <= seeds; seed++ {
				c := Config(s.ServedWorkload(), e.Nemesis, seed)
				if adjust != nil {
					adjust(&c)
				}
				_, run := Run(t, s, c)
				v := Elle(t, run).Valid
				if e.Safe && v != checkers.Valid {
					t.Fatalf("expected safe (%s), seed %d: %s", e.Reason, seed, Describe(run))
				}
				if !e.Safe && v == checkers.Invalid {
					caught = true
					break
				}
			}
			if !e.Safe && !caught {
				t.Fatalf("expected unsafe (%s), but no seed of %d was caught", e.Reason, seeds)
			}
		})
	}
}
