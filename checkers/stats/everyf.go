package stats

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// EveryF is Jepsen's stats checker (jepsen.checker/stats), which Maelstrom
// runs on every test: the history is invalid when some operation type (F)
// was invoked but never succeeded. A node that answers reads but fails
// every write has not done its job, however consistent its reads are.
//
// Success is counted as Jepsen counts :ok: an operation that completed ok
// with no error. An ok operation carrying an error that the checker reads
// as a result (a cas refused with precondition-failed, a read of a key that
// does not exist) is a :fail in Maelstrom's client, so it does not count.
// Every client operation counts, final ones included.
//
// With partial set (the run was interrupted or ended with an error), a type
// that never succeeded may simply not have had the time: the verdict is
// unknown instead of invalid.
func EveryF(partial bool) checkers.Checker { return everyF{partial: partial} }

type everyF struct{ partial bool }

func (everyF) Name() string { return "stats" }

// FCount is how one operation type fared, as the stats checker counts.
type FCount struct {
	Invoked int `json:"invoked"`
	// Succeeded counts ok operations without an error.
	Succeeded int `json:"succeeded"`
	Fail      int `json:"fail"`
	Info      int `json:"info"`
	// OKWithError counts ok operations whose error is a result (a refused
	// cas, a missing key): not successes for this check.
	OKWithError int `json:"ok_with_error"`
}

// EveryFEvidence is what the stats verdict rests on.
type EveryFEvidence struct {
	ByF map[string]FCount `json:"by_f"`
	// NeverSucceeded lists the types invoked that never succeeded, sorted.
	NeverSucceeded []string `json:"never_succeeded,omitempty"`
}

func (c everyF) Check(h history.History) checkers.Result {
	ev := &EveryFEvidence{ByF: map[string]FCount{}}
	for _, op := range h {
		if op == nil {
			continue
		}
		n := ev.ByF[op.F]
		n.Invoked++
		switch {
		case op.Outcome == history.OK && op.Error == nil:
			n.Succeeded++
		case op.Outcome == history.OK:
			n.OKWithError++
		case op.Outcome == history.Fail:
			n.Fail++
		default:
			n.Info++
		}
		ev.ByF[op.F] = n
	}
	fs := make([]string, 0, len(ev.ByF))
	for f := range ev.ByF {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	var never, seen []string
	for _, f := range fs {
		n := ev.ByF[f]
		seen = append(seen, fmt.Sprintf("%s %d", f, n.Succeeded))
		if n.Succeeded == 0 {
			ev.NeverSucceeded = append(ev.NeverSucceeded, f)
			never = append(never, fmt.Sprintf("%s never succeeded (0 of %d: %s)", f, n.Invoked, describe(n)))
		}
	}
	res := checkers.Result{Checker: "stats", Evidence: ev}
	switch {
	case len(never) > 0 && c.partial:
		res.Valid = checkers.Unknown
		res.Summary = strings.Join(never, "; ") + ", but the run was cut short"
	case len(never) > 0:
		res.Valid = checkers.Invalid
		res.Summary = strings.Join(never, "; ")
	default:
		res.Valid = checkers.Valid
		res.Summary = "every operation type succeeded at least once"
		if len(seen) > 0 {
			res.Summary += " (" + strings.Join(seen, ", ") + ")"
		}
	}
	return res
}

func describe(n FCount) string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{n.Fail, "fail"}, {n.Info, "info"}, {n.OKWithError, "ok with an error"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return strings.Join(parts, ", ")
}
