// Package atomicity checks the "A" of a transactional store from the
// outside: after the faults heal, every transaction's writes must be all
// visible or none. List appends make it exact, since every appended
// element is unique and a list keeps every element ever appended: the
// final reads of txn-list-append say, for each append of each
// transaction, whether it happened.
//
// A transaction that committed (ok) must have every append visible; one
// that failed (a definite error) must have none; one whose outcome the
// client never learned (info) may have all or none, never some. A
// transaction with some appends visible and others not was applied at
// some shards and not at others: the atomic commitment failed. One that
// committed with none visible was lost.
package atomicity

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
)

// Checker is the atomicity checker for txn-list-append histories.
type Checker struct{}

// New returns the checker.
func New() Checker { return Checker{} }

// Name implements checkers.Checker.
func (Checker) Name() string { return "atomicity" }

// Append is one appended element.
type Append struct {
	Key     int `json:"key"`
	Element int `json:"element"`
}

func (a Append) String() string { return fmt.Sprintf("%d to key %d", a.Element, a.Key) }

// Violation is a transaction whose appends are not all-or-none as its
// outcome requires.
type Violation struct {
	Index   int             `json:"index"` // the operation's index in the history
	Outcome history.Outcome `json:"outcome"`
	// Kind is "partial" (some appends visible, some not), "lost" (a
	// committed transaction with none visible) or "aborted-visible" (a
	// failed transaction with every append visible).
	Kind    string   `json:"kind"`
	Visible []Append `json:"visible,omitempty"`
	Missing []Append `json:"missing,omitempty"`
}

func (v Violation) String() string {
	var parts []string
	if len(v.Visible) > 0 {
		parts = append(parts, "visible "+list(v.Visible))
	}
	if len(v.Missing) > 0 {
		parts = append(parts, "missing "+list(v.Missing))
	}
	what := map[string]string{
		"partial":         "is half applied",
		"lost":            "committed, yet none of its appends is in the final reads",
		"aborted-visible": "failed, yet its appends are in the final reads",
	}[v.Kind]
	return fmt.Sprintf("transaction #%d (%s) %s: %s", v.Index, v.Outcome, what, strings.Join(parts, "; "))
}

func list(as []Append) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// Evidence lists the violations (at most maxListed; Count counts them
// all), by kind.
type Evidence struct {
	Violations []Violation    `json:"violations"`
	Count      int            `json:"count"`
	ByKind     map[string]int `json:"by_kind"`
	Checked    int            `json:"checked"` // transactions with appends to keys the final reads covered
	Unread     []int          `json:"unread_keys,omitempty"`
}

const maxListed = 20

// Check implements checkers.Checker.
func (Checker) Check(h history.History) checkers.Result {
	res := checkers.Result{Checker: "atomicity"}
	final, err := finalLists(h)
	if err != nil {
		res.Valid, res.Summary = checkers.Unknown, err.Error()
		return res
	}
	if len(final) == 0 {
		res.Valid, res.Summary = checkers.Unknown, "no final read succeeded: nothing says which appends happened"
		return res
	}
	ev := &Evidence{ByKind: map[string]int{}}
	unread := map[int]bool{}
	for _, op := range h {
		if op == nil || op.Final || op.F != "txn" {
			continue
		}
		t, err := txn.Parse(op.Value)
		if err != nil {
			res.Valid, res.Summary = checkers.Unknown, fmt.Sprintf("operation %d: %v", op.Index, err)
			return res
		}
		var visible, missing []Append
		for _, m := range t {
			if m.F != txn.Append {
				continue
			}
			e, ok := m.Value.(int)
			if !ok {
				continue
			}
			seen, read := final[m.Key]
			if !read {
				unread[m.Key] = true
				continue
			}
			if seen[e] {
				visible = append(visible, Append{m.Key, e})
			} else {
				missing = append(missing, Append{m.Key, e})
			}
		}
		if len(visible)+len(missing) == 0 {
			continue
		}
		ev.Checked++
		kind := ""
		switch {
		case len(visible) > 0 && len(missing) > 0:
			kind = "partial"
		case op.Outcome == history.OK && len(missing) > 0:
			kind = "lost"
		case op.Outcome == history.Fail && len(visible) > 0:
			kind = "aborted-visible"
		}
		if kind == "" {
			continue
		}
		ev.Count++
		ev.ByKind[kind]++
		if len(ev.Violations) < maxListed {
			ev.Violations = append(ev.Violations, Violation{Index: op.Index, Outcome: op.Outcome, Kind: kind, Visible: visible, Missing: missing})
		}
	}
	for k := range unread {
		ev.Unread = append(ev.Unread, k)
	}
	slices.Sort(ev.Unread)
	res.Evidence = ev
	if ev.Count == 0 {
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("all or nothing: each of %d transactions' appends are all visible or none in the final reads, as their outcomes require", ev.Checked)
		if len(ev.Unread) > 0 {
			res.Valid = checkers.Unknown
			res.Summary += fmt.Sprintf("; but no final read covered keys %v", ev.Unread)
		}
		return res
	}
	res.Valid = checkers.Invalid
	var kinds []string
	for _, k := range []string{"partial", "lost", "aborted-visible"} {
		if n := ev.ByKind[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	res.Summary = fmt.Sprintf("not atomic: %s; first, %s", strings.Join(kinds, ", "), ev.Violations[0])
	return res
}

// finalLists is what the final reads saw: for each key, the elements of
// its list. Where final reads of a key disagree (a store whose copies
// diverged), an element counts as visible if any final read saw it.
func finalLists(h history.History) (map[int]map[int]bool, error) {
	out := map[int]map[int]bool{}
	for _, op := range h {
		if op == nil || !op.Final || op.F != "txn" || op.Outcome != history.OK {
			continue
		}
		t, err := txn.Parse(op.Result)
		if err != nil {
			return nil, fmt.Errorf("final read %d: %v", op.Index, err)
		}
		for _, m := range t {
			if m.F != txn.Read {
				continue
			}
			if out[m.Key] == nil {
				out[m.Key] = map[int]bool{}
			}
			if l, ok := m.Value.([]int); ok {
				for _, e := range l {
					out[m.Key][e] = true
				}
			}
		}
	}
	return out, nil
}
