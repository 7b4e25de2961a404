// Package unique checks that generated IDs are globally unique: Maelstrom's
// unique-ids workload, judged as Jepsen's unique-ids checker does. Every ok
// generate's result is an ID of any JSON type; two ok operations returning
// the same ID make the history invalid. IDs compare as JSON values, so 7 and
// 7.0 are the same ID and "7" is a different one; large integers are
// compared exactly when they arrive exactly.
package unique

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/jsonval"
	"github.com/ddbbench/ddbbench/history"
)

// Options configure the checker.
type Options struct {
	// Name is the checker's name in results; "unique-ids" when empty.
	Name string
	// F is the operation name; "generate" when empty.
	F string
}

// Checker is the unique-ids checker.
type Checker struct{ o Options }

// New returns a unique-ids checker.
func New(o Options) *Checker {
	if o.Name == "" {
		o.Name = "unique-ids"
	}
	if o.F == "" {
		o.F = "generate"
	}
	return &Checker{o: o}
}

// Name implements checkers.Checker.
func (c *Checker) Name() string { return c.o.Name }

// maxDuplicates bounds the duplicates listed, as Jepsen shows 48.
const maxDuplicates = 48

// Evidence is the checker's machine-readable detail, with Jepsen's counts.
type Evidence struct {
	AttemptedCount    int         `json:"attempted_count"`
	AcknowledgedCount int         `json:"acknowledged_count"`
	DuplicatedCount   int         `json:"duplicated_count"` // distinct IDs returned more than once
	Duplicated        []Duplicate `json:"duplicated,omitempty"`
	// Range is the least and greatest ID when every ID is a number, or
	// every ID is a string.
	Range []any `json:"range,omitempty"`
}

// Duplicate is an ID that more than one ok operation returned.
type Duplicate struct {
	ID    any     `json:"id"`
	Count int     `json:"count"`
	Ops   []OpRef `json:"ops"` // the first 10 operations that returned it
}

// OpRef names an operation.
type OpRef struct {
	Index   int    `json:"index"`
	Process int    `json:"process"`
	Client  string `json:"client,omitempty"`
	Node    string `json:"node,omitempty"`
}

// Check implements checkers.Checker.
func (c *Checker) Check(h history.History) checkers.Result {
	res := checkers.Result{Checker: c.o.Name}
	ev := &Evidence{}
	res.Evidence = ev

	type entry struct {
		id    any
		count int
		ops   []OpRef
	}
	ids := map[string]*entry{}
	var lo, hi any
	kindOf := func(v any) int {
		switch {
		case jsonval.IsNumber(v):
			return 1
		case isString(v):
			return 2
		}
		return 0
	}
	rangeKind := -1
	for _, op := range h {
		if op.F != c.o.F {
			continue
		}
		ev.AttemptedCount++
		if op.Outcome != history.OK {
			continue
		}
		ev.AcknowledgedCount++
		k := jsonval.Canon(op.Result)
		e := ids[k]
		if e == nil {
			e = &entry{id: op.Result}
			ids[k] = e
		}
		e.count++
		if len(e.ops) < 10 {
			e.ops = append(e.ops, OpRef{Index: op.Index, Process: op.Process, Client: op.Client, Node: op.Node})
		}
		switch kd := kindOf(op.Result); {
		case rangeKind == -1:
			rangeKind, lo, hi = kd, op.Result, op.Result
		case kd != rangeKind || kd == 0:
			rangeKind = 0
		default:
			if jsonval.Less(op.Result, lo) {
				lo = op.Result
			}
			if jsonval.Less(hi, op.Result) {
				hi = op.Result
			}
		}
	}
	if rangeKind > 0 {
		ev.Range = []any{lo, hi}
	}

	var dups []*entry
	for _, e := range ids {
		if e.count > 1 {
			dups = append(dups, e)
		}
	}
	sort.Slice(dups, func(i, j int) bool {
		if dups[i].count != dups[j].count {
			return dups[i].count > dups[j].count
		}
		return jsonval.Less(dups[i].id, dups[j].id)
	})
	ev.DuplicatedCount = len(dups)
	for _, e := range dups[:min(maxDuplicates, len(dups))] {
		ev.Duplicated = append(ev.Duplicated, Duplicate{ID: e.id, Count: e.count, Ops: e.ops})
	}

	counts := fmt.Sprintf("%d attempted, %d acknowledged", ev.AttemptedCount, ev.AcknowledgedCount)
	switch {
	case len(dups) > 0:
		var parts []string
		for i, d := range ev.Duplicated {
			if i == 5 {
				parts = append(parts, "...")
				break
			}
			var idx []string
			for _, o := range d.Ops {
				idx = append(idx, fmt.Sprint(o.Index))
			}
			parts = append(parts, fmt.Sprintf("%s ×%d (ops %s)", jsonval.Canon(d.ID), d.Count, strings.Join(idx, ", ")))
		}
		res.Valid = checkers.Invalid
		res.Summary = fmt.Sprintf("%d IDs generated more than once: %s (%s)", len(dups), strings.Join(parts, "; "), counts)
	case ev.AcknowledgedCount == 0:
		res.Valid = checkers.Unknown
		res.Summary = "no ID was generated (" + counts + ")"
	default:
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("all %d IDs distinct (%s)", ev.AcknowledgedCount, counts)
	}
	return res
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}
