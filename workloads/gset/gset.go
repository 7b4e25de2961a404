// Package gset is Maelstrom's g-set workload: clients add integer elements
// (0, 1, 2, ...) to a grow-only set and read the whole set from any node.
// After the cluster heals and recovers, every node is read once more; every
// acknowledged element must be in every node's final read.
//
//	{"type":"add","element":7} -> {"type":"add_ok"}
//	{"type":"read"}            -> {"type":"read_ok","value":[0,7]}
package gset

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/set"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

// Config shapes the load.
type Config struct {
	// Mix weights of add and read operations; Maelstrom mixes them evenly.
	Adds, Reads int
}

// DefaultConfig is Maelstrom's: half adds, half reads.
func DefaultConfig() Config { return Config{Adds: 1, Reads: 1} }

// Validate reports a config that cannot generate load.
func (c Config) Validate() error {
	switch {
	case c.Adds < 0 || c.Reads < 0:
		return fmt.Errorf("g-set: mix weights must not be negative (add %d, read %d)", c.Adds, c.Reads)
	case c.Adds+c.Reads == 0:
		return fmt.Errorf("g-set: the add/read mix is all zero")
	}
	return nil
}

// Workload generates g-set operations. It implements workloads.Preparer only
// to learn the node names, for the final reads; it sends nothing.
type Workload struct {
	cfg   Config
	next  int
	nodes []string
}

// New returns the workload; cfg must be valid.
func New(cfg Config) *Workload { return &Workload{cfg: cfg} }

// Checkers are the checkers that judge this workload's history: Jepsen's
// set-full, as Maelstrom uses.
func Checkers(Config) []checkers.Checker {
	return []checkers.Checker{set.New(set.Options{Name: "g-set", AddF: "add", ReadF: "read"})}
}

// Name implements workloads.Workload.
func (w *Workload) Name() string { return "g-set" }

// Prepare implements workloads.Preparer: it records the nodes and sends
// nothing.
func (w *Workload) Prepare(nodes []string) []workloads.Request {
	w.nodes = append([]string(nil), nodes...)
	return nil
}

// Generate implements workloads.Workload.
func (w *Workload) Generate(rng *rand.Rand) *history.Op {
	if rng.IntN(w.cfg.Adds+w.cfg.Reads) < w.cfg.Adds {
		op := &history.Op{F: "add", Value: w.next}
		w.next++
		return op
	}
	return &history.Op{F: "read"}
}

// Final is one read on every node (op.Node names it), after recovery.
func (w *Workload) Final() []*history.Op { return workloads.ReadsOnEveryNode(w.nodes) }

type addBody struct {
	Element any `json:"element"`
}

// Request implements workloads.Workload.
func (w *Workload) Request(op *history.Op) (string, any) {
	if op.F == "add" {
		return "add", addBody{Element: op.Value}
	}
	return "read", struct{}{}
}

// Complete implements workloads.Workload: a read's value becomes its result,
// as a list of JSON values (null, a Go nil slice, is an empty list, as in
// Maelstrom's schema).
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	if err := workloads.ExpectReply(op, resp); err != nil || op.F != "read" {
		return err
	}
	list, err := workloads.ListField(resp, "value")
	if err != nil {
		return err
	}
	op.Result = list
	return nil
}

// ErrorIsResult implements workloads.Workload: no error answers an add or a
// read.
func (w *Workload) ErrorIsResult(*history.Op, int) bool { return false }
