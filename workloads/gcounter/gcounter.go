// Package gcounter is Maelstrom's g-counter workload: pn-counter with only
// non-negative deltas (Maelstrom draws them from 0 to 4).
//
//	{"type":"add","delta":3} -> {"type":"add_ok"}
//	{"type":"read"}          -> {"type":"read_ok","value":42}
package gcounter

import (
	"fmt"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/counter"
	"github.com/ddbbench/ddbbench/workloads/pncounter"
)

// Config shapes the load.
type Config struct {
	// MaxDelta bounds the deltas, drawn uniformly from [0, MaxDelta].
	MaxDelta int64
	// Mix weights of add and read operations; Maelstrom mixes them evenly.
	Adds, Reads int
}

// DefaultConfig is Maelstrom's: deltas 0..4, half adds, half reads.
func DefaultConfig() Config { return Config{MaxDelta: 4, Adds: 1, Reads: 1} }

func (c Config) pn() pncounter.Config {
	return pncounter.Config{MinDelta: 0, MaxDelta: c.MaxDelta, Adds: c.Adds, Reads: c.Reads}
}

// Validate reports a config that cannot generate load.
func (c Config) Validate() error {
	if c.MaxDelta < 0 {
		return fmt.Errorf("g-counter: deltas must not be negative (max delta %d)", c.MaxDelta)
	}
	switch {
	case c.MaxDelta > 1<<40:
		return fmt.Errorf("g-counter: max delta %d is too large", c.MaxDelta)
	case c.Adds < 0 || c.Reads < 0:
		return fmt.Errorf("g-counter: mix weights must not be negative (add %d, read %d)", c.Adds, c.Reads)
	case c.Adds+c.Reads == 0:
		return fmt.Errorf("g-counter: the add/read mix is all zero")
	}
	return nil
}

// Workload is the pn-counter workload named g-counter, with non-negative
// deltas.
type Workload struct{ *pncounter.Workload }

// New returns the workload; cfg must be valid.
func New(cfg Config) *Workload { return &Workload{pncounter.NewNamed("g-counter", cfg.pn())} }

// Checkers are the checkers that judge this workload's history: Maelstrom's
// counter checker.
func Checkers(Config) []checkers.Checker {
	return []checkers.Checker{counter.New(counter.Options{Name: "g-counter"})}
}
