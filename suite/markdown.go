package suite

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	fmt.Fprintf(&b, "| strategy | nemesis | expected | observed | agrees | availability | p50 ms | p99 ms | msgs/op | server msgs/op |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range m.Cells {
		agrees := "yes"
		if !c.Agrees {
			agrees = "**NO**"
		}
		avail := "-"
		if c.Availability != nil {
			avail = fmt.Sprintf("%.3f", *c.Availability)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.1f | %.1f | %.2f | %.2f |\n",
			c.Strategy, c.Nemesis, expectText(c), verdictText(c), agrees, avail, c.P50, c.P99, c.MsgsPerOp, c.ServerPerOp)
	}
	var notes []string
	for _, c := range m.Cells {
		if c.Observed == checkers.Invalid && c.FirstFailure != nil {
			notes = append(notes, fmt.Sprintf("- %s under %s, seed %d: %s", c.Strategy, c.Nemesis, c.FirstFailure.Seed, c.FirstFailure.Anomaly))
		}
		if !c.Agrees {
			notes = append(notes, fmt.Sprintf("- **%s under %s disagrees with its expectation**: %s", c.Strategy, c.Nemesis, c.Note))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		b.WriteString(strings.Join(notes, "\n"))
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n%d strategies x %d nemeses x %d seeds (cells expected unsafe hunt up to %d more) in %.1fs; %d disagreements.\n",
		len(m.Strategies), len(m.Nemeses), m.Seeds, m.Hunt, m.WallS, m.Disagree)
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
// command prints), matrix.json (its schema is docs/results.md's) and
// expected.md (what the literature predicts for the strategies run).
func WriteFiles(dir string, m *Matrix, strategies []nodes.Strategy) error {
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"matrix.md", []byte(m.Markdown())},
		{"matrix.json", append(js, '\n')},
		{"expected.md", []byte(ExpectedMarkdown(strategies, m.Nemeses))},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
