// Package elle checks transactional histories for isolation anomalies, the
// way Elle does (Kingsbury & Alvaro, "Elle: Inferring Isolation Anomalies
// from Experimental Observations", VLDB 2020), with Adya's anomaly classes
// ("Weak Consistency: A Generalized Theory and Optimistic Implementations
// for Distributed Transactions", MIT 1999).
//
// It reads the histories of Maelstrom's txn-list-append and txn-rw-register
// workloads (package history/txn), infers version orders for each key (from
// the prefix order of list reads; for registers from the initial nil state
// and writes-follow-reads within a transaction, as Elle's rw_register does
// under Maelstrom's settings), builds the direct serialization graph of
// write-write, write-read and read-write dependencies, adds real-time or
// per-process edges when the requested models need them, and searches each
// strongly connected component for the cycles Adya and Elle name. It also
// reports the anomalies that are not cycles: aborted and intermediate reads,
// internal inconsistency, incompatible orders, lost updates and the rest.
//
// Names follow Elle 0.2 (the version Maelstrom 0.2.x runs): cycles made only
// of item dependencies are G0, G1c, G-single-item, G-nonadjacent-item and
// G2-item, with -process and -realtime variants. The verdict, the models a
// history rules out and the :unknown cases follow elle.txn/result-map and
// elle.consistency-model.
//
// The package is split by concern: history.go reads the history,
// listappend.go and rwregister.go infer version orders, dependencies and
// the anomalies that are not cycles per workload (lostupdate.go is shared),
// order.go adds real-time and process edges, graph.go holds the graph and
// its strongly connected components, search.go finds cycles of a given
// shape, cycles.go decides which shapes to look for in each component,
// models.go knows the consistency models and which anomalies each forbids,
// explain.go and case.go put anomalies into words and data, and check.go
// assembles the verdict.
package elle

import (
	"fmt"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// Workload names, as Maelstrom spells them without the "txn-" prefix.
const (
	ListAppend = "list-append"
	RWRegister = "rw-register"
)

// Options configure the checker.
type Options struct {
	// Workload is "list-append" or "rw-register" ("txn-list-append" and
	// "txn-rw-register" are accepted too).
	Workload string
	// Models are the consistency models to check, by Elle's names
	// (ValidModels lists them); empty means strict-serializable, as in
	// Maelstrom, unless Anomalies are given.
	Models []string
	// Anomalies are further anomalies to reject whatever the models say,
	// with every anomaly that implies them (Elle's :anomalies option), such
	// as "G1" for G1a, G1b and G1c.
	Anomalies []string
	// Name is the checker's name in results; "elle" when empty.
	Name string
	// MaxCases bounds how many cases of each anomaly type the evidence
	// lists (counts stay exact). Zero means 8.
	MaxCases int
	// SearchBudget bounds the work spent looking for cycles of one shape in
	// one strongly connected component, in visited search states. Past it
	// the search gives up, as Elle's one-second cycle-search-timeout does,
	// and reports cycle-search-timeout; the exact cycle-existence checks
	// still decide which models are ruled out. Zero means 4,000,000; the
	// budget counts states, not time, so verdicts are reproducible.
	SearchBudget int
}

// Checker is the Elle-style transactional checker.
type Checker struct{ o Options }

// New returns a checker. Invalid options (an unknown workload or model)
// make every Check return unknown with the reason; use Options.Validate to
// reject them up front.
func New(o Options) checkers.Checker { return &Checker{o: o} }

// Name implements checkers.Checker.
func (c *Checker) Name() string {
	if c.o.Name != "" {
		return c.o.Name
	}
	return "elle"
}

// Check implements checkers.Checker.
func (c *Checker) Check(h history.History) checkers.Result {
	r := Check(h, c.o)
	r.Checker = c.Name()
	return r
}

// Check judges a transactional history under the options' models.
func Check(h history.History, o Options) checkers.Result {
	name := o.Name
	if name == "" {
		name = "elle"
	}
	if err := o.Validate(); err != nil {
		return checkers.Result{Checker: name, Valid: checkers.Unknown, Summary: err.Error()}
	}
	o = o.withDefaults()
	r := check(h, o)
	r.Checker = name
	return r
}

// Validate reports an unknown workload or consistency model, naming the
// valid ones.
func (o Options) Validate() error {
	if _, err := workloadName(o.Workload); err != nil {
		return err
	}
	for _, a := range o.Anomalies {
		if !knownAnomaly(a) {
			return fmt.Errorf("elle: unknown anomaly %q", a)
		}
	}
	return ValidateModels(o.Models)
}

func workloadName(w string) (string, error) {
	switch strings.TrimPrefix(w, "txn-") {
	case ListAppend:
		return ListAppend, nil
	case RWRegister:
		return RWRegister, nil
	}
	return "", fmt.Errorf("elle: unknown workload %q: want %q or %q", w, ListAppend, RWRegister)
}

// ValidateModels reports the first unknown model name, listing the valid
// ones.
func ValidateModels(models []string) error {
	var unknown []string
	for _, m := range models {
		if !knownModel(m) {
			unknown = append(unknown, fmt.Sprintf("%q", m))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("elle: unknown consistency model %s; valid models are: %s",
			strings.Join(unknown, ", "), strings.Join(ValidModels(), ", "))
	}
	return nil
}

// DefaultModel is the model checked when none is given, as in Maelstrom.
const DefaultModel = "strict-serializable"

func (o Options) withDefaults() Options {
	o.Workload, _ = workloadName(o.Workload)
	if len(o.Models) == 0 && len(o.Anomalies) == 0 {
		o.Models = []string{DefaultModel}
	}
	if o.MaxCases <= 0 {
		o.MaxCases = 8
	}
	if o.SearchBudget <= 0 {
		o.SearchBudget = 4_000_000
	}
	return o
}
