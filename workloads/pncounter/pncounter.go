// Package pncounter is Maelstrom's pn-counter workload: clients add integer
// deltas, positive or negative, to a counter and read its value from any
// node. After the cluster heals and recovers, every node is read once more;
// each final read must be the sum of the acknowledged adds plus some subset
// of the indefinite ones.
//
//	{"type":"add","delta":-3} -> {"type":"add_ok"}
//	{"type":"read"}           -> {"type":"read_ok","value":42}
package pncounter

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/counter"
	"github.com/ddbbench/ddbbench/checkers/jsonval"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

// Config shapes the load.
type Config struct {
	// Deltas are drawn uniformly from [MinDelta, MaxDelta]. Maelstrom draws
	// from -5 to 4.
	MinDelta, MaxDelta int64
	// Mix weights of add and read operations; Maelstrom mixes them evenly.
	Adds, Reads int
}

// DefaultConfig is Maelstrom's: deltas -5..4, half adds, half reads.
func DefaultConfig() Config { return Config{MinDelta: -5, MaxDelta: 4, Adds: 1, Reads: 1} }

// Validate reports a config that cannot generate load.
func (c Config) Validate() error {
	switch {
	case c.MinDelta > c.MaxDelta:
		return fmt.Errorf("pn-counter: delta range is empty (%d..%d)", c.MinDelta, c.MaxDelta)
	case c.MaxDelta-c.MinDelta < 0 || c.MaxDelta-c.MinDelta > 1<<40:
		return fmt.Errorf("pn-counter: delta range %d..%d is too wide", c.MinDelta, c.MaxDelta)
	case c.Adds < 0 || c.Reads < 0:
		return fmt.Errorf("pn-counter: mix weights must not be negative (add %d, read %d)", c.Adds, c.Reads)
	case c.Adds+c.Reads == 0:
		return fmt.Errorf("pn-counter: the add/read mix is all zero")
	}
	return nil
}

// Workload generates counter operations. It implements workloads.Preparer
// only to learn the node names, for the final reads; it sends nothing.
type Workload struct {
	cfg   Config
	name  string
	nodes []string
}

// New returns the pn-counter workload; cfg must be valid.
func New(cfg Config) *Workload { return &Workload{cfg: cfg, name: "pn-counter"} }

// NewNamed returns the workload under another name, for g-counter.
func NewNamed(name string, cfg Config) *Workload { return &Workload{cfg: cfg, name: name} }

// Checkers are the checkers that judge this workload's history: Maelstrom's
// pn-counter checker.
func Checkers(Config) []checkers.Checker {
	return []checkers.Checker{counter.New(counter.Options{Name: "pn-counter"})}
}

// Name implements workloads.Workload.
func (w *Workload) Name() string { return w.name }

// Prepare implements workloads.Preparer: it records the nodes and sends
// nothing.
func (w *Workload) Prepare(nodes []string) []workloads.Request {
	w.nodes = append([]string(nil), nodes...)
	return nil
}

// Generate implements workloads.Workload. An add's Value is its delta, an
// int64.
func (w *Workload) Generate(rng *rand.Rand) *history.Op {
	if rng.IntN(w.cfg.Adds+w.cfg.Reads) < w.cfg.Adds {
		d := w.cfg.MinDelta + rng.Int64N(w.cfg.MaxDelta-w.cfg.MinDelta+1)
		return &history.Op{F: "add", Value: d}
	}
	return &history.Op{F: "read"}
}

// Final is one read on every node (op.Node names it), after recovery.
func (w *Workload) Final() []*history.Op { return workloads.ReadsOnEveryNode(w.nodes) }

type addBody struct {
	Delta any `json:"delta"`
}

// Request implements workloads.Workload.
func (w *Workload) Request(op *history.Op) (string, any) {
	if op.F == "add" {
		return "add", addBody{Delta: op.Value}
	}
	return "read", struct{}{}
}

// Complete implements workloads.Workload: a read's value, which must be an
// integer (Maelstrom's schema says Int), becomes its result as an int64.
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	if err := workloads.ExpectReply(op, resp); err != nil || op.F != "read" {
		return err
	}
	value, err := workloads.ReplyField(resp, "value")
	if err != nil {
		return err
	}
	v, err := jsonval.Decode(value)
	if err != nil {
		return fmt.Errorf("read_ok \"value\": %w", err)
	}
	n, ok := jsonval.Int64(v)
	if !ok {
		return fmt.Errorf("read_ok \"value\" must be an integer, got %s", value)
	}
	op.Result = n
	return nil
}

// ErrorIsResult implements workloads.Workload: no error answers an add or a
// read.
func (w *Workload) ErrorIsResult(*history.Op, int) bool { return false }
