package suite

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/nodes"
)

// verdictText is a cell's verdict in a few characters.
func verdictText(c *Cell) string {
	switch c.Observed {
	case checkers.Valid:
		return fmt.Sprintf("valid (%d/%d)", len(c.Runs), len(c.Runs))
	case checkers.Invalid:
		return fmt.Sprintf("INVALID seed %d (of %d)", c.FirstFailure.Seed, len(c.Runs))
	}
	return fmt.Sprintf("unknown seed %d", c.FirstFailure.Seed)
}

func expectText(c *Cell) string {
	switch {
	case c.Expected == nil:
		return "-"
	case c.Expected.Safe:
		return "safe"
	}
	return "unsafe"
}

// Markdown renders the matrix: one table per nemesis is hard to compare,
// so it is one row per strategy and nemesis, grouped by strategy.
func (m *Matrix) Markdown() string {
	var b strings.Builder
	levels := len(m.Contention) > 0
	level, levelHead, levelRule := func(*Cell) string { return "" }, "", ""
	if levels {
		level = func(c *Cell) string { return " " + c.Contention + " |" }
		levelHead, levelRule = " contention |", "---|"
	}
	fmt.Fprintf(&b, "| strategy | nemesis |%s expected | observed | agrees | availability | p50 ms | p99 ms | msgs/op | server msgs/op |\n", levelHead)
	fmt.Fprintf(&b, "|---|---|%s---|---|---|---|---|---|---|---|\n", levelRule)
	for _, c := range m.Cells {
		agrees := "yes"
		if !c.Agrees {
			agrees = "**NO**"
		}
		avail := "-"
		if c.Availability != nil {
			avail = fmt.Sprintf("%.3f", *c.Availability)
		}
		fmt.Fprintf(&b, "| %s | %s |%s %s | %s | %s | %s | %.1f | %.1f | %.2f | %.2f |\n",
			c.Strategy, c.Nemesis, level(c), expectText(c), verdictText(c), agrees, avail, c.P50, c.P99, c.MsgsPerOp, c.ServerPerOp)
	}
	var notes []string
	for _, c := range m.Cells {
		where := c.Nemesis
		if c.Contention != "" {
			where += " at " + c.Contention + " contention"
		}
		if c.Observed == checkers.Invalid && c.FirstFailure != nil {
			notes = append(notes, fmt.Sprintf("- %s under %s, seed %d: %s", c.Strategy, where, c.FirstFailure.Seed, c.FirstFailure.Anomaly))
		}
		if !c.Agrees {
			notes = append(notes, fmt.Sprintf("- **%s under %s disagrees with its expectation**: %s", c.Strategy, where, c.Note))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		b.WriteString(strings.Join(notes, "\n"))
		b.WriteString("\n")
	}
	levelCount := ""
	if levels {
		levelCount = fmt.Sprintf(" x %d contention levels", len(m.Contention))
	}
	fmt.Fprintf(&b, "\n%d strategies x %d nemeses%s x %d seeds (cells expected unsafe hunt up to %d more) in %.1fs; %d disagreements.\n",
		len(m.Strategies), len(m.Nemeses), levelCount, m.Seeds, m.Hunt, m.WallS, m.Disagree)
	return b.String()
}

// ExpectedMarkdown renders what each strategy's literature predicts, with
// the reasons: the table docs/strategies.md keeps beside the observed one.
func ExpectedMarkdown(strategies []nodes.Strategy, nemeses []string) string {
	var b strings.Builder
	b.WriteString("| strategy | nemesis | expected | why | reference |\n|---|---|---|---|---|\n")
	for _, s := range strategies {
		for _, nem := range nemeses {
			e := expectation(s, nem)
			if e == nil {
				fmt.Fprintf(&b, "| %s | %s | - | no expectation declared | |\n", s.Name, nem)
				continue
			}
			verdict := "unsafe"
			if e.Safe {
				verdict = "safe"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.Name, nem, verdict, e.Reason, e.Reference)
		}
	}
	return b.String()
}

// WriteFiles writes a finished suite into dir: matrix.md (the table the
// command prints), matrix.json (its schema is docs/results.md's),
// expected.md (what the literature predicts for the strategies run) and,
// for a transactional workload, comparison.md (TxnMarkdown).
func WriteFiles(dir string, m *Matrix, strategies []nodes.Strategy) error {
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{"matrix.md", []byte(m.Markdown())},
		{"matrix.json", append(js, '\n')},
		{"expected.md", []byte(ExpectedMarkdown(strategies, m.Nemeses))},
	}
	if cmp := m.TxnMarkdown(); cmp != "" {
		files = append(files, struct {
			name string
			data []byte
		}{"comparison.md", []byte(cmp)})
	}
	if cm := m.CommitMarkdown(); cm != "" {
		files = append(files, struct {
			name string
			data []byte
		}{"commit.md", []byte(cm)})
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// TxnMarkdown compares what concurrency control costs, for suites of a
// transactional workload: per contention level and strategy, the
// fault-free runs' committed throughput, abort rate, aborts by cause (all
// seeds together), restarts and messages per committed transaction, and
// commit latency. Empty when no cell has transaction figures.
func (m *Matrix) TxnMarkdown() string {
	var b strings.Builder
	for _, c := range m.Cells {
		if c.Txn == nil || c.Nemesis != "none" {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("| contention | strategy | committed/s | abort rate | aborts by cause | restarts/commit | msgs/commit | commit p50 ms | commit p99 ms | verdict |\n")
			b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
		}
		t := c.Txn
		fmt.Fprintf(&b, "| %s | %s | %.1f | %.3f | %s | %.2f | %.1f | %.1f | %.1f | %s |\n",
			c.Contention, c.Strategy, t.CommittedPerS, t.AbortRate, causes(t.Aborts), t.RestartsPerCommit, t.MessagesPerCommit, t.CommitP50, t.CommitP99, verdictText(c))
	}
	return b.String()
}

// causes lists counts by cause, "died 12, wounded 3", or "-".
func causes(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// CommitMarkdown compares atomic commitment protocols, for suites whose
// nodes reported their commits: how long participants were blocked under
// each nemesis (in doubt with nobody reachable who knew the outcome), and,
// from the cost runs, what a commit costs in message delays, messages and
// forced log writes. Empty when no cell has commit figures.
func (m *Matrix) CommitMarkdown() string {
	var b strings.Builder
	for _, c := range m.Cells {
		if c.Commit == nil {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("| strategy | nemesis | blocked s (during / after faults) | longest s | blocked at end | in doubt s | availability during faults | verdict |\n")
			b.WriteString("|---|---|---|---|---|---|---|---|\n")
		}
		f := c.Commit
		avail := "-"
		if c.Nemesis != "none" {
			avail = fmt.Sprintf("%.3f", f.AvailabilityDuringFaults)
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f (%.1f / %.1f) | %.1f | %d | %.1f | %s | %s |\n",
			c.Strategy, c.Nemesis, f.BlockedS, f.BlockedDuringS, f.BlockedAfterS, f.BlockedMaxS, f.BlockedAtEnd, f.InDoubtS, avail, verdictText(c))
	}
	if b.Len() == 0 {
		return ""
	}
	if len(m.Costs) > 0 {
		b.WriteString("\nCosts, without faults, with constant latency (one run each, first seed):\n\n")
		b.WriteString("| strategy | writers per commit | decision (delays) | applied everywhere (delays) | protocol messages per commit | forced writes per commit | abort rate | aborts by cause | commit p50 ms |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range m.Costs {
			f := c.Commit
			if f == nil {
				fmt.Fprintf(&b, "| %s | - | - | - | - | - | - | - | - |\n", c.Strategy)
				continue
			}
			fmt.Fprintf(&b, "| %s | %.2f | %.1f | %.1f | %.1f | %.1f | %.3f | %s | %.1f |\n",
				c.Strategy, f.WritersPerCommit, f.DecideDelays, f.LearnDelays, f.MessagesPerCommit, f.ForcedWritesPerCommit, f.AbortRate, causes(f.Aborts), c.P50)
		}
	}
	return b.String()
}
