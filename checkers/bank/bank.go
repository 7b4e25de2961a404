// Package bank checks Jepsen's bank invariant: every successful read of
// every balance sees each account exactly once, no balance below zero
// (unless allowed), and the total the accounts opened with, since transfers
// only move money; and the final reads, one on every node after the cluster
// has healed, agree. A read that sees another total saw a transfer half
// done: the store let a transaction observe another's partial effects,
// which a serializable store never does. (The converse does not hold: the
// invariant is a necessary condition for serializability, not a proof of
// it.)
package bank

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
)

// Options are the accounts and total the workload opened with.
type Options struct {
	Accounts   int // accounts 0..Accounts-1
	Total      int
	NegativeOK bool
}

// Result is what a bank operation returned: a read's balances, and for any
// operation the attempts the store aborted before answering.
type Result struct {
	Balances map[int]int `json:"balances,omitempty"`
	Aborts   []txn.Abort `json:"aborts,omitempty"`
}

// ParseResult reads a Result from a history, as recorded or as read back
// from history.jsonl (generic JSON values).
func ParseResult(v any) (Result, error) {
	switch r := v.(type) {
	case nil:
		return Result{}, nil
	case Result:
		return r, nil
	case *Result:
		return *r, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return Result{}, err
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		return Result{}, fmt.Errorf("bank result: %w", err)
	}
	return r, nil
}

// Checker is the bank invariant checker.
type Checker struct{ opts Options }

// New returns the checker.
func New(opts Options) *Checker { return &Checker{opts: opts} }

// Name implements checkers.Checker.
func (c *Checker) Name() string { return "bank" }

// Error kinds, as Jepsen names them.
const (
	UnexpectedKey = "unexpected-key" // a balance for an account that does not exist
	NilBalance    = "nil-balance"    // an account missing from a read
	WrongTotal    = "wrong-total"
	NegativeValue = "negative-value"
	FinalDiffer   = "final-reads-differ" // two nodes' final reads disagree
)

// Bad is one read that broke the invariant.
type Bad struct {
	Kind     string      `json:"kind"`
	Index    int         `json:"index"` // the read's index in the history
	Client   string      `json:"client"`
	Node     string      `json:"node"`
	At       float64     `json:"at_s"` // completion time, seconds
	Total    int         `json:"total"`
	Balances map[int]int `json:"balances"`
	Accounts []int       `json:"accounts,omitempty"` // the unexpected, missing or negative ones
	// Other is the final read that disagrees with this one.
	Other *Bad `json:"other,omitempty"`
}

// Evidence is the checker's detail: how many reads it checked and, per kind
// of error, how many and the first.
type Evidence struct {
	Reads  int            `json:"reads"`
	Errors map[string]int `json:"errors,omitempty"`
	First  map[string]Bad `json:"first,omitempty"`
}

// Check implements checkers.Checker.
func (c *Checker) Check(h history.History) checkers.Result {
	ev := Evidence{Errors: map[string]int{}, First: map[string]Bad{}}
	var firstBad *Bad
	add := func(b Bad) {
		ev.Errors[b.Kind]++
		if _, ok := ev.First[b.Kind]; !ok {
			ev.First[b.Kind] = b
		}
		if firstBad == nil {
			firstBad = &b
		}
	}
	var finals []Bad
	for _, op := range h {
		if op == nil || op.F != "read" || op.Outcome != history.OK {
			continue
		}
		ev.Reads++
		read := Bad{Index: op.Index, Client: op.Client, Node: op.Node, At: time.Duration(op.Complete).Seconds()}
		r, err := ParseResult(op.Result)
		if err != nil || r.Balances == nil {
			read.Kind = NilBalance
			read.Accounts = c.accounts()
			add(read)
			continue
		}
		read.Balances = r.Balances
		for _, b := range r.Balances {
			read.Total += b
		}
		for _, kind := range []string{UnexpectedKey, NilBalance, WrongTotal, NegativeValue} {
			if bad, ok := c.violates(kind, read); ok {
				add(bad)
			}
		}
		if op.Final {
			finals = append(finals, read)
		}
	}
	for _, f := range finals[min(1, len(finals)):] {
		if !maps.Equal(f.Balances, finals[0].Balances) {
			bad := f
			bad.Kind, bad.Other = FinalDiffer, &finals[0]
			add(bad)
		}
	}
	res := checkers.Result{Checker: c.Name(), Evidence: ev}
	switch {
	case firstBad != nil:
		res.Valid, res.Summary = checkers.Invalid, c.describe(*firstBad)
		if n := len(ev.Errors); n > 1 || ev.Errors[firstBad.Kind] > 1 {
			res.Summary += fmt.Sprintf(" (%d bad reads in all)", sum(ev.Errors))
		}
	case ev.Reads == 0:
		res.Valid, res.Summary = checkers.Unknown, "no read succeeded: the invariant was never observed"
	default:
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("%d reads each saw all %d accounts totalling %d", ev.Reads, c.opts.Accounts, c.opts.Total)
		if len(finals) > 0 {
			res.Summary += fmt.Sprintf("; the %d final reads agree", len(finals))
		}
	}
	return res
}

func (c *Checker) accounts() []int {
	out := make([]int, c.opts.Accounts)
	for i := range out {
		out[i] = i
	}
	return out
}

// violates checks one kind of error on a read.
func (c *Checker) violates(kind string, read Bad) (Bad, bool) {
	read.Kind = kind
	switch kind {
	case UnexpectedKey:
		for a := range read.Balances {
			if a < 0 || a >= c.opts.Accounts {
				read.Accounts = append(read.Accounts, a)
			}
		}
	case NilBalance:
		for a := range c.opts.Accounts {
			if _, ok := read.Balances[a]; !ok {
				read.Accounts = append(read.Accounts, a)
			}
		}
	case WrongTotal:
		return read, read.Total != c.opts.Total
	case NegativeValue:
		if c.opts.NegativeOK {
			return read, false
		}
		for a, b := range read.Balances {
			if b < 0 {
				read.Accounts = append(read.Accounts, a)
			}
		}
	}
	slices.Sort(read.Accounts)
	return read, len(read.Accounts) > 0
}

func (c *Checker) describe(b Bad) string {
	where := fmt.Sprintf("read %d (%s at %s, %.3fs)", b.Index, b.Client, b.Node, b.At)
	switch b.Kind {
	case UnexpectedKey:
		return fmt.Sprintf("%s has balances for accounts that do not exist: %v", where, b.Accounts)
	case NilBalance:
		return fmt.Sprintf("%s is missing accounts %v", where, b.Accounts)
	case WrongTotal:
		return fmt.Sprintf("%s saw a total of %d, not %d: a transfer half done", where, b.Total, c.opts.Total)
	case NegativeValue:
		return fmt.Sprintf("%s saw negative balances in accounts %v", where, b.Accounts)
	}
	return fmt.Sprintf("final %s disagrees with the final read %d at %s: %v against %v", where, b.Other.Index, b.Other.Node, b.Balances, b.Other.Balances)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
