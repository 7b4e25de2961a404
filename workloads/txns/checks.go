package txns

import (
	"fmt"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/atomicity"
	"github.com/ddbbench/ddbbench/checkers/elle"
)

// Checkers are the checkers that judge this workload's history: Elle's
// analysis for the configured consistency models and, for list appends
// with final reads, atomicity.
func Checkers(c Config) []checkers.Checker {
	var out []checkers.Checker
	if c.Kind == ListAppend && c.FinalReads {
		// Unique appended elements make the final reads say exactly which
		// writes of each transaction happened: all or none. First, as the
		// more specific evidence: it names the transaction half applied.
		out = append(out, atomicity.New())
	}
	return append(out, elle.New(elle.Options{Workload: c.Kind, Models: c.Models}))
}

// checkModels reports a model Elle does not know, listing the valid ones.
func checkModels(kind string, models []string) error {
	if err := elle.ValidateModels(models); err != nil {
		return fmt.Errorf("%s: --consistency-models: %v", kind, err)
	}
	return nil
}
