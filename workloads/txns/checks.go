package txns

import (
	"fmt"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/elle"
)

// Checkers are the checkers that judge this workload's history: Elle's
// analysis for the configured consistency models.
func Checkers(c Config) []checkers.Checker {
	return []checkers.Checker{elle.New(elle.Options{Workload: c.Kind, Models: c.Models})}
}

// checkModels reports a model Elle does not know, listing the valid ones.
func checkModels(kind string, models []string) error {
	if err := elle.ValidateModels(models); err != nil {
		return fmt.Errorf("%s: --consistency-models: %v", kind, err)
	}
	return nil
}
