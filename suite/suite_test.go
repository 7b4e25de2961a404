package suite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/catalog"
	"github.com/ddbbench/ddbbench/nodes/replication/local"
	"github.com/ddbbench/ddbbench/nodes/replication/single"
	"github.com/ddbbench/ddbbench/reports/reportstest"
)

func base() harness.Config {
	c := harness.Defaults()
	c.NodeCount, c.TimeLimit, c.Rate, c.Latency, c.NemesisInterval = 3, 10*time.Second, 100, 5*time.Millisecond, 3*time.Second
	return c
}

func TestMatrixComparesObservationsWithExpectations(t *testing.T) {
	safeSingle := nodes.Strategy{Name: "single", New: single.New, Expect: []nodes.Expectation{
		{Nemesis: "none", Safe: true}, {Nemesis: "kill", Safe: true}}}
	unsafeLocal := nodes.Strategy{Name: "local", New: local.New, Expect: []nodes.Expectation{
		{Nemesis: "none", Safe: false}, {Nemesis: "kill", Safe: true, Reason: "a deliberately wrong claim"}}}
	m, err := Execute(context.Background(), Config{
		Strategies: []nodes.Strategy{safeSingle, unsafeLocal}, Nemeses: []string{"none", "kill"}, Seeds: 2, Base: base(),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		strategy, nemesis string
		observed          checkers.Validity
		agrees            bool
	}{
		{"single", "none", checkers.Valid, true},
		{"single", "kill", checkers.Valid, true},
		{"local", "none", checkers.Invalid, true},
		{"local", "kill", checkers.Invalid, false},
	} {
		c := m.Cell(tc.strategy, tc.nemesis)
		if c.Observed != tc.observed || c.Agrees != tc.agrees {
			t.Errorf("%s/%s: observed %s agrees %v, want %s %v (%s)", tc.strategy, tc.nemesis, c.Observed, c.Agrees, tc.observed, tc.agrees, c.Note)
		}
		if len(c.Runs) != 2 || c.MsgsPerOp == 0 {
			t.Errorf("%s/%s: want 2 runs with figures, got %+v", tc.strategy, tc.nemesis, c.Runs)
		}
	}
	if m.Disagree != 1 {
		t.Fatalf("want exactly one disagreement, got %d", m.Disagree)
	}
	md := m.Markdown()
	if !strings.Contains(md, "INVALID seed 1") || !strings.Contains(md, "**NO**") {
		t.Fatalf("markdown lacks the verdicts:\n%s", md)
	}
	dir := reportstest.Store(t)
	if err := WriteFiles(dir, m, []nodes.Strategy{safeSingle, unsafeLocal}); err != nil {
		t.Fatal(err)
	}
	if n := reportstest.ValidateTree(t, dir); n != 1 {
		t.Fatalf("validated %d matrix files, want 1", n)
	}
}

func TestUnsafeButNeverCaughtDisagrees(t *testing.T) {
	claim := nodes.Strategy{Name: "single", New: single.New, Expect: []nodes.Expectation{{Nemesis: "none", Safe: false}}}
	m, err := Execute(context.Background(), Config{Strategies: []nodes.Strategy{claim}, Nemeses: []string{"none"}, Seeds: 2, Base: base()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Cell("single", "none")
	if c.Agrees || !strings.Contains(c.Note, "no violation was caught in 2 seeds") {
		t.Fatalf("an unsafe claim never caught must disagree and say how many seeds were tried: %+v", c)
	}
}

func TestSameSuiteSameMatrix(t *testing.T) {
	run := func() string {
		m, err := Execute(context.Background(), Config{
			Strategies: []nodes.Strategy{{Name: "single", New: single.New}}, Nemeses: []string{"partition"}, Seeds: 3, Base: base(), Parallel: 3,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.WallS = 0
		return m.Markdown()
	}
	if a, b := run(), run(); a != b {
		t.Fatalf("parallel runs must not change the matrix:\n%s\n%s", a, b)
	}
}

// BenchmarkReplicationSuite is issue 4's figure: the whole replication
// matrix (every strategy, every default nemesis) with 2 seeds of 20 s.
func BenchmarkReplicationSuite(b *testing.B) {
	var strategies []nodes.Strategy
	for _, s := range catalog.All() {
		if s.Group == "replication" {
			strategies = append(strategies, s)
		}
	}
	c := base()
	c.NodeCount, c.TimeLimit, c.NemesisInterval = 5, 20*time.Second, 5*time.Second
	c.OpTimeout = time.Second
	for b.Loop() {
		m, err := Execute(context.Background(), Config{Strategies: strategies, Seeds: 2, Base: c}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(m.Cells)), "cells")
		b.ReportMetric(float64(m.Disagree), "disagreements")
	}
}

func TestHuntTriesMoreSeedsOnlyForUncaughtUnsafeCells(t *testing.T) {
	claims := nodes.Strategy{Name: "single", New: single.New, Expect: []nodes.Expectation{
		{Nemesis: "none", Safe: false}, {Nemesis: "kill", Safe: true}}}
	m, err := Execute(context.Background(), Config{Strategies: []nodes.Strategy{claims}, Nemeses: []string{"none", "kill"}, Seeds: 2, Hunt: 3, Base: base()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Cell("single", "none"); len(c.Runs) != 5 || !strings.Contains(c.Note, "in 5 seeds") {
		t.Fatalf("an uncaught unsafe cell should hunt to 2+3 seeds: %d runs, %q", len(c.Runs), c.Note)
	}
	if c := m.Cell("single", "kill"); len(c.Runs) != 2 {
		t.Fatalf("a safe cell must not hunt: %d runs", len(c.Runs))
	}
}

// The expected-verdict table in docs/strategies.md is generated from the
// strategies' declarations; it must not drift from the code.
func TestStrategiesDocIsCurrent(t *testing.T) {
	var strategies []nodes.Strategy
	for _, s := range catalog.All() {
		if s.Group == "replication" {
			strategies = append(strategies, s)
		}
	}
	doc, err := os.ReadFile("../docs/strategies.md")
	if err != nil {
		t.Fatal(err)
	}
	want := ExpectedMarkdown(strategies, DefaultNemeses)
	if !strings.Contains(string(doc), want) {
		t.Fatalf("docs/strategies.md's expected table is out of date; regenerate it from `ddbbench suite replication` (expected.md in its results). It should contain:\n%s", want)
	}
}

// A transactional group runs every cell at each contention level and
// compares throughput and aborts without faults.
func TestContentionLevelsAndTheComparison(t *testing.T) {
	var strategies []nodes.Strategy
	for _, s := range catalog.InGroup("deadlock") {
		if s.Name == "2pl-wait" || s.Name == "2pl-wound-wait" {
			strategies = append(strategies, s)
		}
	}
	c := base()
	c.TimeLimit = 5 * time.Second
	m, err := Execute(context.Background(), Config{Strategies: strategies, Nemeses: []string{"none"}, Seeds: 1, Base: c,
		Contention: []string{"low", "high"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cells) != 4 {
		t.Fatalf("2 strategies x 1 nemesis x 2 levels: %d cells", len(m.Cells))
	}
	for _, level := range []string{"low", "high"} {
		wait, ww := m.CellAt("2pl-wait", "none", level), m.CellAt("2pl-wound-wait", "none", level)
		if wait.Observed != checkers.Invalid || !wait.Agrees || !strings.Contains(wait.FirstFailure.Anomaly, "deadlock") {
			t.Errorf("%s: 2pl-wait must deadlock, and its anomaly say so: %+v", level, wait)
		}
		if ww.Observed != checkers.Valid || ww.Txn == nil || ww.Txn.CommittedPerS == 0 {
			t.Errorf("%s: 2pl-wound-wait must be valid with figures: %+v", level, ww)
		}
	}
	low, high := m.CellAt("2pl-wound-wait", "none", "low").Txn, m.CellAt("2pl-wound-wait", "none", "high").Txn
	if low.AbortRate >= high.AbortRate {
		t.Errorf("more contention, more aborts: low %.3f, high %.3f", low.AbortRate, high.AbortRate)
	}
	cmp := m.TxnMarkdown()
	if strings.Count(cmp, "\n") != 2+4 || !strings.Contains(cmp, "| high | 2pl-wound-wait |") || !strings.Contains(cmp, "wounded") {
		t.Fatalf("comparison table:\n%s", cmp)
	}
	if md := m.Markdown(); !strings.Contains(md, "| contention |") || !strings.Contains(md, "2 contention levels") {
		t.Fatalf("matrix lacks the levels:\n%s", md)
	}
	dir := reportstest.Store(t) // matrix.json must fit its schema
	if err := WriteFiles(dir, m, strategies); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "comparison.md")); err != nil || string(got) != cmp {
		t.Fatalf("comparison.md: %v", err)
	}
}

// The expected-verdict table in docs/deadlock.md is generated from the
// deadlock strategies' declarations; it must not drift from the code.
func TestDeadlockDocIsCurrent(t *testing.T) {
	g, err := catalog.LookupGroup("deadlock")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/deadlock.md")
	if err != nil {
		t.Fatal(err)
	}
	want := ExpectedMarkdown(catalog.InGroup("deadlock"), g.Nemeses)
	if !strings.Contains(string(doc), want) {
		t.Fatalf("docs/deadlock.md's expected table is out of date; regenerate it from `ddbbench suite deadlock` (expected.md in its results). It should contain:\n%s", want)
	}
}

// BenchmarkDeadlockSuite is issue 11's figure: `ddbbench suite deadlock
// --seeds 2` with the command's defaults.
func BenchmarkDeadlockSuite(b *testing.B) {
	g, err := catalog.LookupGroup("deadlock")
	if err != nil {
		b.Fatal(err)
	}
	c := harness.Defaults()
	c.NodeCount, c.TimeLimit, c.Rate, c.NemesisInterval, c.Recovery = 5, 30*time.Second, 100, 5*time.Second, 10*time.Second
	c.Latency, c.LatencyDist, c.OpTimeout = 5*time.Millisecond, "exponential", 2*time.Second
	for b.Loop() {
		m, err := Execute(context.Background(), Config{Strategies: catalog.InGroup("deadlock"), Nemeses: g.Nemeses, Contention: g.Contention,
			Seeds: 2, Hunt: 50, Base: c}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(m.Cells)), "cells")
		b.ReportMetric(float64(m.Disagree), "disagreements")
	}
}

// BenchmarkLockingSuite is issue 10's figure: `ddbbench suite locking
// --seeds 2 --time-limit 20`, with the command's settings (the group's 50
// acquisitions a second, 5 ms exponential latency, 2 s client timeout,
// hunting up to 50 more seeds for unsafe cells not yet caught).
func BenchmarkLockingSuite(b *testing.B) {
	group, err := catalog.LookupGroup("locking")
	if err != nil {
		b.Fatal(err)
	}
	c := harness.Defaults()
	c.NodeCount, c.TimeLimit, c.Rate, c.NemesisInterval = 5, 20*time.Second, group.Rate, 5*time.Second
	c.Latency, c.LatencyDist, c.OpTimeout = 5*time.Millisecond, "exponential", 2*time.Second
	for b.Loop() {
		m, err := Execute(context.Background(), Config{Strategies: catalog.InGroup("locking"), Nemeses: group.Nemeses, Seeds: 2, Hunt: 50, Base: c}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(m.Cells)), "cells")
		b.ReportMetric(float64(m.Disagree), "disagreements")
	}
}

// The expected-verdict table in docs/locking.md is generated from the
// locking strategies' declarations; it must not drift from the code.
func TestLockingDocIsCurrent(t *testing.T) {
	group, err := catalog.LookupGroup("locking")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/locking.md")
	if err != nil {
		t.Fatal(err)
	}
	want := ExpectedMarkdown(catalog.InGroup("locking"), group.Nemeses)
	if !strings.Contains(string(doc), want) {
		t.Fatalf("docs/locking.md's expected table is out of date; regenerate it from `ddbbench suite locking` (expected.md in its results). It should contain:\n%s", want)
	}
}
