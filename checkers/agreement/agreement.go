// Package agreement checks atomic commitment where it is decided: every
// node that decides a transaction attempt's fate must decide the same
// (Bernstein, Hadzilacos & Goodman 1987, §7.2, rule AC1). The nodes report
// what they decided (nodes.Env.CommitState): a coordinator its commit or
// abort, a participant what it did with its part in the end. An attempt
// committed at one node and aborted at another is a violation, and the
// evidence names the attempt and the nodes on each side, with when each
// decided.
//
// Only nodes that report can be judged: the simulator carries reports
// from reference nodes, processes cannot send them, and a run without
// reports gets no agreement check (the atomicity checker still judges its
// final reads).
package agreement

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// Checker judges the nodes' commit reports.
type Checker struct{ events []history.CommitEvent }

// New returns a checker of the given reports, in the order nodes made them.
func New(events []history.CommitEvent) Checker { return Checker{events: events} }

// Name implements checkers.Checker.
func (Checker) Name() string { return "agreement" }

// Decision is one node's decision on an attempt.
type Decision struct {
	Node string  `json:"node"`
	At   float64 `json:"at_s"`
}

// Split is an attempt decided both ways.
type Split struct {
	Txn       string     `json:"txn"`
	Committed []Decision `json:"committed"`
	Aborted   []Decision `json:"aborted"`
}

func (s Split) String() string {
	side := func(ds []Decision) string {
		parts := make([]string, len(ds))
		for i, d := range ds {
			parts[i] = fmt.Sprintf("%s at %.3fs", d.Node, d.At)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%s committed at %s but aborted at %s", s.Txn, side(s.Committed), side(s.Aborted))
}

// Evidence lists the attempts decided both ways (at most maxListed; Count
// counts them all).
type Evidence struct {
	Splits  []Split `json:"splits,omitempty"`
	Count   int     `json:"count"`
	Decided int     `json:"decided"` // attempts some node decided
}

const maxListed = 20

// Check implements checkers.Checker; the history is not needed.
func (c Checker) Check(history.History) checkers.Result {
	res := checkers.Result{Checker: "agreement"}
	// Each node's last decision on each attempt: a saga's step may be
	// committed and later compensated.
	type key struct{ txn, node string }
	last := map[key]history.CommitEvent{}
	var order []key
	for _, e := range c.events {
		if decided, _ := history.Decided(e.State); !decided {
			continue
		}
		k := key{e.Txn, e.Node}
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = e
	}
	byTxn := map[string]*Split{}
	var txns []string
	for _, k := range order {
		e := last[k]
		s := byTxn[k.txn]
		if s == nil {
			s = &Split{Txn: k.txn}
			byTxn[k.txn] = s
			txns = append(txns, k.txn)
		}
		d := Decision{Node: e.Node, At: float64(e.Time) / 1e9}
		if _, commit := history.Decided(e.State); commit {
			s.Committed = append(s.Committed, d)
		} else {
			s.Aborted = append(s.Aborted, d)
		}
	}
	ev := &Evidence{Decided: len(txns)}
	for _, t := range txns {
		s := byTxn[t]
		if len(s.Committed) == 0 || len(s.Aborted) == 0 {
			continue
		}
		for _, side := range [][]Decision{s.Committed, s.Aborted} {
			slices.SortFunc(side, func(a, b Decision) int { return strings.Compare(a.Node, b.Node) })
		}
		ev.Count++
		if len(ev.Splits) < maxListed {
			ev.Splits = append(ev.Splits, *s)
		}
	}
	res.Evidence = ev
	if ev.Count == 0 {
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("every node that decided an attempt decided the same, over %d attempts", ev.Decided)
		return res
	}
	res.Valid = checkers.Invalid
	res.Summary = fmt.Sprintf("%d attempts decided both ways; first, %s", ev.Count, ev.Splits[0])
	return res
}
