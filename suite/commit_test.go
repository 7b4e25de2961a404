package suite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/catalog"
	"github.com/ddbbench/ddbbench/reports/reportstest"
)

// A commit suite measures blocking per cell and adds a constant-latency
// cost run per strategy: two-phase commit blocks under kill-coordinator,
// Paxos Commit does not, and the cost runs count one more message delay
// for Paxos Commit's decision than for two-phase commit's.
func TestCommitSuiteMeasuresBlockingAndCosts(t *testing.T) {
	var strategies []nodes.Strategy
	for _, s := range catalog.InGroup("commit") {
		if s.Name == "2pc" || s.Name == "paxos-commit" {
			strategies = append(strategies, s)
		}
	}
	c := base()
	c.NodeCount, c.Rate, c.TimeLimit, c.NemesisInterval, c.OpTimeout = 5, 50, 20*time.Second, 5*time.Second, 2*time.Second
	m, err := Execute(context.Background(), Config{
		Strategies: strategies, Nemeses: []string{"none", "kill-coordinator"}, Seeds: 1, Base: c, Costs: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Disagree != 0 {
		t.Fatalf("%d disagreements:\n%s", m.Disagree, m.Markdown())
	}
	if b := m.Cell("2pc", "kill-coordinator").Commit; b == nil || b.BlockedS == 0 {
		t.Fatalf("2pc did not block under kill-coordinator: %+v", b)
	}
	if b := m.Cell("paxos-commit", "kill-coordinator").Commit; b == nil || b.BlockedS != 0 {
		t.Fatalf("paxos-commit blocked under kill-coordinator: %+v", b)
	}
	if len(m.Costs) != 2 || m.Costs[0].Commit == nil || m.Costs[1].Commit == nil {
		t.Fatalf("want a cost run per strategy, got %+v", m.Costs)
	}
	two, paxos := m.Costs[0].Commit, m.Costs[1].Commit
	if two.DecideDelays != 2 || paxos.DecideDelays != 3 {
		t.Fatalf("decisions after %.1f (2pc) and %.1f (paxos-commit) message delays, want 2 and 3", two.DecideDelays, paxos.DecideDelays)
	}
	md := m.CommitMarkdown()
	for _, want := range []string{"| 2pc | kill-coordinator |", "Costs, without faults, with constant latency", "| paxos-commit | "} {
		if !strings.Contains(md, want) {
			t.Fatalf("the commit tables lack %q:\n%s", want, md)
		}
	}
	dir := reportstest.Store(t)
	if err := WriteFiles(dir, m, strategies); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "commit.md")); err != nil {
		t.Fatal(err)
	}
}

// The expected-verdict table in docs/commit.md is generated from the
// commit strategies' declarations; it must not drift from the code.
func TestCommitDocIsCurrent(t *testing.T) {
	group, err := catalog.LookupGroup("commit")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/commit.md")
	if err != nil {
		t.Fatal(err)
	}
	want := ExpectedMarkdown(catalog.InGroup(group.Name), group.Nemeses)
	if !strings.Contains(string(doc), want) {
		t.Fatalf("docs/commit.md's expected table is out of date; regenerate it from `ddbbench suite commit` (expected.md in its results). It should contain:\n%s", want)
	}
}
