// Package counter checks counter histories: Maelstrom's g-counter and
// pn-counter workloads. It is Maelstrom's pn-counter checker: every final
// read must equal the sum of the acknowledged adds plus the deltas of some
// subset of the indefinite (info) adds. Failed adds certainly did not
// happen and count for nothing.
//
// The acceptable values are computed exactly, as a set of integer ranges:
// acknowledged adds 10 and info adds of 5 and 7 allow 10, 15, 17 and 22, not
// 12. Like Maelstrom, reads before the final phase are not checked: the
// counters are only eventually consistent, so any of them may be stale.
package counter

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/jsonval"
	"github.com/ddbbench/ddbbench/history"
)

// Options configure the checker.
type Options struct {
	// Name is the checker's name in results; "counter" when empty.
	Name string
	// AddF and ReadF are the operation names: "add" and "read" by default.
	AddF, ReadF string
	// MaxRanges bounds the exact set of acceptable values. Past it the set
	// is widened to the range from its least to its greatest value, which
	// may accept a read the exact set would reject; the evidence says so.
	// Zero means 10000.
	MaxRanges int
}

// Checker is the counter checker.
type Checker struct{ o Options }

// New returns a counter checker.
func New(o Options) *Checker {
	if o.Name == "" {
		o.Name = "counter"
	}
	if o.AddF == "" {
		o.AddF = "add"
	}
	if o.ReadF == "" {
		o.ReadF = "read"
	}
	if o.MaxRanges <= 0 {
		o.MaxRanges = 10000
	}
	return &Checker{o: o}
}

// Name implements checkers.Checker.
func (c *Checker) Name() string { return c.o.Name }

// Range is an inclusive range of integers.
type Range [2]int64

// Evidence is the checker's machine-readable detail.
type Evidence struct {
	AckedSum   int64 `json:"acknowledged_sum"`
	AckedCount int   `json:"acknowledged_count"`
	InfoCount  int   `json:"indefinite_count"`
	FailCount  int   `json:"failed_count"`
	// Acceptable is the set of values a final read may return, as
	// inclusive ranges (the first 100 of AcceptableRanges).
	Acceptable       []Range `json:"acceptable"`
	AcceptableRanges int     `json:"acceptable_ranges"`
	// Approximate is set when the exact set grew past MaxRanges and was
	// widened to a single range.
	Approximate bool `json:"approximate,omitempty"`

	FinalReads            []Read   `json:"final_reads,omitempty"`
	Errors                []Read   `json:"errors,omitempty"`
	BadAdds               []int    `json:"bad_adds,omitempty"` // adds whose delta is not an integer
	NodesWithoutFinalRead []string `json:"nodes_without_final_read,omitempty"`
}

// Read is one final read.
type Read struct {
	Node  string `json:"node"`
	Index int    `json:"index"`
	Value any    `json:"value"`
}

// Check implements checkers.Checker.
func (c *Checker) Check(h history.History) checkers.Result {
	res := checkers.Result{Checker: c.o.Name}
	ev := &Evidence{}
	res.Evidence = ev

	var infos []int64
	var finals []*history.Op
	finalNodes := map[string]bool{}
	okFinalNodes := map[string]bool{}
	overflow := false
	for _, op := range h {
		switch op.F {
		case c.o.AddF:
			if op.Outcome == history.Fail {
				ev.FailCount++
				continue
			}
			d, ok := jsonval.Int64(op.Value)
			if !ok {
				ev.BadAdds = append(ev.BadAdds, op.Index)
				continue
			}
			if op.Outcome == history.OK {
				ev.AckedCount++
				var o bool
				if ev.AckedSum, o = add(ev.AckedSum, d); o {
					overflow = true
				}
			} else {
				ev.InfoCount++
				infos = append(infos, d)
			}
		case c.o.ReadF:
			if !op.Final {
				continue
			}
			finalNodes[op.Node] = true
			if op.Outcome == history.OK {
				okFinalNodes[op.Node] = true
				finals = append(finals, op)
			}
		}
	}

	acceptable, approx, o := subsetSums(ev.AckedSum, infos, c.o.MaxRanges)
	overflow = overflow || o
	ev.Approximate = approx
	ev.AcceptableRanges = len(acceptable)
	ev.Acceptable = acceptable[:min(100, len(acceptable))]

	sort.SliceStable(finals, func(i, j int) bool {
		if finals[i].Node != finals[j].Node {
			return finals[i].Node < finals[j].Node
		}
		return finals[i].Index < finals[j].Index
	})
	for _, op := range finals {
		r := Read{Node: op.Node, Index: op.Index, Value: op.Result}
		ev.FinalReads = append(ev.FinalReads, r)
		v, ok := jsonval.Int64(op.Result)
		if !ok || !contains(acceptable, v) {
			ev.Errors = append(ev.Errors, r)
		}
	}
	for n := range finalNodes {
		if !okFinalNodes[n] {
			ev.NodesWithoutFinalRead = append(ev.NodesWithoutFinalRead, n)
		}
	}
	sort.Strings(ev.NodesWithoutFinalRead)

	bounds := describe(acceptable)
	if approx {
		bounds += " (widened: too many exact ranges)"
	}
	counts := fmt.Sprintf("%d acknowledged adds summing to %d, %d indefinite, %d failed", ev.AckedCount, ev.AckedSum, ev.InfoCount, ev.FailCount)
	switch {
	case len(ev.Errors) > 0:
		var parts []string
		for i, r := range ev.Errors {
			if i == 8 {
				parts = append(parts, "...")
				break
			}
			parts = append(parts, fmt.Sprintf("%s read %s", orUnknown(r.Node), jsonval.Canon(r.Value)))
		}
		res.Valid = checkers.Invalid
		res.Summary = fmt.Sprintf("%d of %d final reads outside %s: %s (%s)", len(ev.Errors), len(finals), bounds, strings.Join(parts, ", "), counts)
	case overflow:
		res.Valid = checkers.Unknown
		res.Summary = "the sums overflow 64-bit integers (" + counts + ")"
	case len(ev.BadAdds) > 0:
		res.Valid = checkers.Unknown
		res.Summary = fmt.Sprintf("%d adds have a delta that is not an integer (%s)", len(ev.BadAdds), counts)
	case len(ev.NodesWithoutFinalRead) > 0:
		res.Valid = checkers.Unknown
		res.Summary = fmt.Sprintf("no successful final read on %s (%s)", strings.Join(ev.NodesWithoutFinalRead, ", "), counts)
	case len(finals) == 0:
		res.Valid = checkers.Unknown
		res.Summary = "no successful final read (" + counts + ")"
	default:
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("all %d final reads within %s (%s)", len(finals), bounds, counts)
	}
	return res
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// add is a+b, reporting overflow.
func add(a, b int64) (int64, bool) {
	s := a + b
	return s, (b > 0 && s < a) || (b < 0 && s > a)
}

// subsetSums is the set of base + the sum of any subset of deltas, as
// sorted, disjoint, non-adjacent inclusive ranges. Past maxRanges the set is
// widened to one range (approx).
func subsetSums(base int64, deltas []int64, maxRanges int) (set []Range, approx, overflow bool) {
	ds := make([]int64, 0, len(deltas))
	for _, d := range deltas {
		if d != 0 {
			ds = append(ds, d)
		}
	}
	// Order does not change the result; sorting makes the work repeatable.
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	set = []Range{{base, base}}
	for _, d := range ds {
		if approx {
			r := set[0]
			var o1, o2 bool
			if d < 0 {
				r[0], o1 = add(r[0], d)
			} else {
				r[1], o2 = add(r[1], d)
			}
			overflow = overflow || o1 || o2
			set[0] = r
			continue
		}
		shifted := make([]Range, len(set))
		for i, r := range set {
			var o1, o2 bool
			shifted[i][0], o1 = add(r[0], d)
			shifted[i][1], o2 = add(r[1], d)
			overflow = overflow || o1 || o2
		}
		set = union(set, shifted)
		if len(set) > maxRanges {
			set = []Range{{set[0][0], set[len(set)-1][1]}}
			approx = true
		}
	}
	return set, approx, overflow
}

// union merges two sorted range lists, joining ranges that overlap or touch.
func union(a, b []Range) []Range {
	out := make([]Range, 0, len(a)+len(b))
	push := func(r Range) {
		if n := len(out); n > 0 && (out[n-1][1] == math.MaxInt64 || r[0] <= out[n-1][1]+1) {
			out[n-1][1] = max(out[n-1][1], r[1])
			return
		}
		out = append(out, r)
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || (i < len(a) && a[i][0] <= b[j][0]) {
			push(a[i])
			i++
		} else {
			push(b[j])
			j++
		}
	}
	return out
}

func contains(set []Range, v int64) bool {
	i := sort.Search(len(set), func(i int) bool { return set[i][1] >= v })
	return i < len(set) && set[i][0] <= v
}

func describe(set []Range) string {
	var parts []string
	for i, r := range set {
		if i == 6 {
			parts = append(parts, fmt.Sprintf("... %d ranges", len(set)))
			break
		}
		if r[0] == r[1] {
			parts = append(parts, fmt.Sprint(r[0]))
		} else {
			parts = append(parts, fmt.Sprintf("%d..%d", r[0], r[1]))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
