package elle

import (
	"slices"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// Where the history says too little, or cannot be read, the verdict is
// unknown, as Elle's :unknown.
func TestUnknown(t *testing.T) {
	cases := []struct {
		name, workload string
		h              history.History
		o              Options
		want           string // in the summary
	}{
		{"no dependencies", ListAppend, hist(ok(0, la("ax1")), ok(1, la("ay1"))), Options{}, emptyGraph},
		{"duplicate appends", ListAppend, hist(ok(0, la("ax1")), ok(1, la("ax1rx1"))), Options{}, "duplicate-appends"},
		{"duplicate writes", RWRegister, hist(ok(0, rw("wx1")), fail(1, rw("wx1"))), Options{}, "duplicate-writes"},
		{"writes in a list-append history", ListAppend, hist(ok(0, rw("wx1"))), Options{}, "unexpected-txn-micro-op-types"},
		{"unknown model", ListAppend, hist(ok(0, la("ax1"))), Options{Models: []string{"sequentially-serializable"}}, "valid models are"},
		{"unknown workload", "txn-bank", hist(ok(0, la("ax1"))), Options{}, "unknown workload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.o.Workload = c.workload
			r := Check(c.h, c.o)
			if r.Valid != checkers.Unknown || !strings.Contains(r.Summary, c.want) {
				t.Fatalf("want unknown naming %q, got %s", c.want, describe(r))
			}
		})
	}
	// A malformed read value from history.jsonl.
	h := hist(ok(0, la("ax1")))
	h[0].Result = []any{[]any{"r", 1, "oops"}}
	if r := Check(h, Options{Workload: ListAppend}); r.Valid != checkers.Unknown || !strings.Contains(r.Summary, "op 0") {
		t.Fatalf("malformed transaction: %s", describe(r))
	}
}

// A search that runs out of budget says so; the exact cycle-existence
// check still rules the model out, as Elle's unfindable-g-single test
// expects (list_append_test.clj).
func TestSearchBudget(t *testing.T) {
	h := hist(ok(0, la("ax1ay1")), ok(1, la("rx1ry")))
	r := Check(h, Options{Workload: ListAppend, Models: []string{"snapshot-isolation"}, SearchBudget: 1})
	ev := evidence(t, r)
	if r.Valid != checkers.Invalid || !slices.Equal(ev.AnomalyTypes, []string{"PL-SI-cycle-exists", "cycle-search-timeout"}) {
		t.Fatalf("want PL-SI-cycle-exists and cycle-search-timeout, got %s", describe(r))
	}
	if c := ev.Anomalies[searchTimeout][0]; c.Spec != "G-single-item" || c.SCCSize != 2 {
		t.Fatalf("timeout case %+v", c)
	}
	// With its budget the search names the anomaly and the cycle-exists
	// case, now redundant, goes.
	r = Check(h, Options{Workload: ListAppend, Models: []string{"snapshot-isolation"}})
	if ev := evidence(t, r); !slices.Equal(ev.AnomalyTypes, []string{"G-single-item"}) {
		t.Fatalf("got %s", describe(r))
	}
}

func TestExplanation(t *testing.T) {
	h := hist(ok(0, la("ax1ay1")).at(0, 1), ok(1, la("rx1ry")).at(2, 3))
	r := Check(h, Options{Workload: ListAppend, Models: []string{"serializable"}})
	ev := evidence(t, r)
	c := ev.Anomalies["G-single-item"][0]
	for _, want := range []string{"Let T1 = op 1 (process 1), T2 = op 0 (process 0)",
		"T1 < T2, because T1 read key 2 = [], and T2 appended 1 to it, so T1 did not observe that append",
		"however, T2 < T1, because T1 read key 1 = [1], which ends in T2's append of 1: a contradiction!"} {
		if !strings.Contains(c.Explanation, want) {
			t.Errorf("explanation lacks %q:\n%s", want, c.Explanation)
		}
	}
	if len(c.Steps) != 2 || c.Steps[0].Type != "rw" || c.Steps[1].Type != "wr" || *c.Steps[0].Key != 2 || c.Steps[0].Value2 != 1 {
		t.Errorf("steps %+v", c.Steps)
	}
	if len(c.Txns) != 2 || c.Txns[0].Index != 1 || c.Txns[1].Index != 0 {
		t.Errorf("txns %+v", c.Txns)
	}
	if !slices.Equal(ev.Violated, []string{"serializable"}) || !strings.Contains(r.Summary, "G-single-item") ||
		!slices.Equal(ev.Strongest, []string{"read-committed"}) {
		t.Errorf("violated %v, strongest %v, summary %s", ev.Violated, ev.Strongest, r.Summary)
	}
}
