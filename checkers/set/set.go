// Package set checks grow-only set histories: Maelstrom's g-set and broadcast
// workloads. It is Jepsen's set-full checker (which Maelstrom uses for both),
// with two additions: elements that were never added are an error, and every
// final read must hold every element known to exist before it began, so that
// a node which never converged is caught whatever order the final reads ran
// in.
//
// For each element, set-full looks at its timeline:
//
//   - the element is known once its add is acknowledged, or once a read
//     observes it, whichever completes first;
//   - it is stable if the last read (by invocation) that could have seen it
//     did see it: every read after that point observes it;
//   - it is lost if it was known before a read that missed it began, and no
//     later read saw it again;
//   - otherwise it was never read.
//
// Stale elements are stable ones that some read begun after they were known
// still missed; their stable latency is how long that lasted. Adds with an
// indefinite outcome (info) may or may not take effect: absent, they are
// simply never read; present, they become known like any other.
package set

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/jsonval"
	"github.com/ddbbench/ddbbench/history"
)

// Options configure the checker.
type Options struct {
	// Name is the checker's name in results; "set" when empty.
	Name string
	// AddF and ReadF are the operation names: "add" and "read" by default.
	// Broadcast uses AddF "broadcast".
	AddF, ReadF string
	// Linearizable makes stale elements an error, as set-full's
	// :linearizable? option does. Maelstrom's workloads leave it off: they
	// are eventually consistent.
	Linearizable bool
}

// Checker is the set checker.
type Checker struct{ o Options }

// New returns a set checker.
func New(o Options) *Checker {
	if o.Name == "" {
		o.Name = "set"
	}
	if o.AddF == "" {
		o.AddF = "add"
	}
	if o.ReadF == "" {
		o.ReadF = "read"
	}
	return &Checker{o: o}
}

// Name implements checkers.Checker.
func (c *Checker) Name() string { return c.o.Name }

// listCap bounds every list of elements in the evidence; counts are exact.
const listCap = 100

// Evidence is the checker's machine-readable detail.
type Evidence struct {
	AttemptCount      int `json:"attempt_count"`      // distinct elements whose add was invoked
	AcknowledgedCount int `json:"acknowledged_count"` // distinct elements with an ok add
	ReadCount         int `json:"read_count"`         // ok reads
	StableCount       int `json:"stable_count"`
	LostCount         int `json:"lost_count"`
	NeverReadCount    int `json:"never_read_count"`
	StaleCount        int `json:"stale_count"`
	UnexpectedCount   int `json:"unexpected_count"`
	DuplicatedCount   int `json:"duplicated_count"`

	Lost       []any             `json:"lost,omitempty"`
	NeverRead  []any             `json:"never_read,omitempty"`
	Stale      []any             `json:"stale,omitempty"`
	WorstStale []StaleElement    `json:"worst_stale,omitempty"`
	LostDetail []LostElement     `json:"lost_detail,omitempty"`
	Unexpected []UnexpectedValue `json:"unexpected,omitempty"`
	Duplicated []Duplicate       `json:"duplicated,omitempty"`

	// FinalReads is every ok final read: its node, how many elements it
	// held, and which elements known before it began it lacked.
	FinalReads []FinalRead `json:"final_reads,omitempty"`
	// NodesWithoutFinalRead are nodes whose final reads all failed or timed
	// out: nothing is known about whether they converged.
	NodesWithoutFinalRead []string `json:"nodes_without_final_read,omitempty"`

	// StableLatencies and LostLatencies are quantiles (0, 0.5, 0.95, 0.99,
	// 1) in milliseconds, as set-full reports them.
	StableLatencies map[string]float64 `json:"stable_latencies,omitempty"`
	LostLatencies   map[string]float64 `json:"lost_latencies,omitempty"`
}

// StaleElement is a stable element that took a while to show up everywhere.
type StaleElement struct {
	Element    any     `json:"element"`
	LatencyMS  float64 `json:"stable_latency_ms"`
	KnownOp    int     `json:"known_op"`       // index of the op that made it known
	LastAbsent int     `json:"last_absent_op"` // index of the last read that missed it
}

// LostElement says why an element is lost: the op that made it known and
// the last read, begun after that, which missed it.
type LostElement struct {
	Element    any     `json:"element"`
	KnownOp    int     `json:"known_op"`
	LastAbsent int     `json:"last_absent_op"`
	Node       string  `json:"last_absent_node,omitempty"`
	LatencyMS  float64 `json:"lost_latency_ms"`
	Acked      bool    `json:"acknowledged"`
	LastSeenOp *int    `json:"last_present_op,omitempty"`
}

// UnexpectedValue is a value some read returned that no client ever added.
type UnexpectedValue struct {
	Element any    `json:"element"`
	Reads   []int  `json:"reads"` // indices of the reads that returned it (first few)
	Node    string `json:"node,omitempty"`
}

// Duplicate is an element that a single read returned more than once.
// Maelstrom does not count this against a run (set-full means to but never
// does), so neither do we; it is reported.
type Duplicate struct {
	Element any `json:"element"`
	Count   int `json:"max_count"` // most copies in one read
	Read    int `json:"read"`      // index of that read
}

// FinalRead summarizes one ok final read.
type FinalRead struct {
	Node         string `json:"node"`
	Index        int    `json:"index"`
	Count        int    `json:"count"`
	MissingCount int    `json:"missing_count"`
	Missing      []any  `json:"missing,omitempty"`
}

type element struct {
	value     any
	addInvoke int64 // earliest invocation of an add of this element
	acked     bool
	known     bool
	knownAt   int64 // completion of the op that made it known
	knownOp   int
	present   *history.Op // last read (by invocation) that saw it
	absent    *history.Op // last read (by invocation), able to see it, that did not
}

type read struct {
	op  *history.Op
	ids []int32 // distinct values read, as interned ids
}

// interner numbers values by their canonical JSON text, so that the rest
// of the analysis works on small integers.
// Integers and strings, the common cases, skip the canonical text.
type interner struct {
	ints map[int64]int32
	strs map[string]int32
	ids  map[string]int32 // everything else, by canonical text
	vals []any
}

func newInterner() *interner {
	return &interner{ints: map[int64]int32{}, strs: map[string]int32{}, ids: map[string]int32{}}
}

func (in *interner) id(v any) int32 {
	next := int32(len(in.vals))
	if s, ok := v.(string); ok {
		id, seen := in.strs[s]
		if !seen {
			id = next
			in.strs[s] = id
			in.vals = append(in.vals, v)
		}
		return id
	}
	if i, ok := jsonval.Int64(v); ok {
		id, seen := in.ints[i]
		if !seen {
			id = next
			in.ints[i] = id
			in.vals = append(in.vals, v)
		}
		return id
	}
	k := jsonval.Canon(v)
	id, seen := in.ids[k]
	if !seen {
		id = next
		in.ids[k] = id
		in.vals = append(in.vals, v)
	}
	return id
}

// readBefore orders reads by invocation, then by index.
func readBefore(a, b *history.Op) bool {
	if a.Invoke != b.Invoke {
		return a.Invoke < b.Invoke
	}
	return a.Index < b.Index
}

// Check implements checkers.Checker.
func (c *Checker) Check(h history.History) checkers.Result {
	res := checkers.Result{Checker: c.o.Name}
	ev := &Evidence{}
	res.Evidence = ev

	in := newInterner()
	elems := map[int32]*element{}
	var order []int32 // added values, in first-seen order
	var reads []*read
	finalNodes := map[string]bool{}
	okFinalNodes := map[string]bool{}
	acked := 0

	// Per-read scratch, indexed by id: the read that last saw the id
	// (1-based), and how many times it did.
	var stamp, count []int32
	grow := func() {
		for len(stamp) < len(in.vals) {
			stamp = append(stamp, 0)
			count = append(count, 0)
		}
	}
	dups := map[int32]*Duplicate{}
	readNo := int32(0)

	for _, op := range h {
		switch op.F {
		case c.o.AddF:
			id := in.id(op.Value)
			e := elems[id]
			if e == nil {
				e = &element{value: op.Value, addInvoke: op.Invoke}
				elems[id] = e
				order = append(order, id)
			}
			e.addInvoke = min(e.addInvoke, op.Invoke)
			if op.Outcome == history.OK {
				if !e.acked {
					acked++
				}
				e.acked = true
				if !e.known || op.Complete < e.knownAt {
					e.known, e.knownAt, e.knownOp = true, op.Complete, op.Index
				}
			}
		case c.o.ReadF:
			if op.Final && op.Node != "" {
				finalNodes[op.Node] = true
			}
			if op.Outcome != history.OK {
				continue
			}
			if op.Final && op.Node != "" {
				okFinalNodes[op.Node] = true
			}
			vals, ok := jsonval.Elements(op.Result)
			if !ok && op.Result != nil {
				// Not an array: the workload never records such a read.
				continue
			}
			readNo++
			r := &read{op: op, ids: make([]int32, 0, len(vals))}
			for _, v := range vals {
				id := in.id(v)
				grow()
				if stamp[id] != readNo {
					stamp[id], count[id] = readNo, 1
					r.ids = append(r.ids, id)
					continue
				}
				count[id]++
				if d := dups[id]; d == nil || int(count[id]) > d.Count {
					dups[id] = &Duplicate{Element: in.vals[id], Count: int(count[id]), Read: op.Index}
				}
			}
			reads = append(reads, r)
		}
	}
	ev.ReadCount = len(reads)
	grow()
	byID := make([]*element, len(in.vals))
	for id, e := range elems {
		byID[id] = e
	}

	// Observations: unexpected values, and elements made known by reads.
	unexpected := map[int32]*UnexpectedValue{}
	for _, r := range reads {
		for _, id := range r.ids {
			e := byID[id]
			if e == nil {
				u := unexpected[id]
				if u == nil {
					u = &UnexpectedValue{Element: in.vals[id], Node: r.op.Node}
					unexpected[id] = u
				}
				if len(u.Reads) < 8 {
					u.Reads = append(u.Reads, r.op.Index)
				}
				continue
			}
			if !e.known || r.op.Complete < e.knownAt {
				e.known, e.knownAt, e.knownOp = true, r.op.Complete, r.op.Index
			}
		}
	}

	// Last present and last absent read of every element, in invocation
	// order. A read that completed before an element's add was invoked could
	// not have seen it and says nothing about it.
	sorted := make([]*read, len(reads))
	copy(sorted, reads)
	sort.SliceStable(sorted, func(i, j int) bool { return readBefore(sorted[i].op, sorted[j].op) })
	list := make([]*element, len(order))
	for i, id := range order {
		list[i] = elems[id]
	}
	clear(stamp)
	for ri, r := range sorted {
		mark := int32(ri + 1)
		for _, id := range r.ids {
			stamp[id] = mark
			if e := byID[id]; e != nil {
				e.present = r.op
			}
		}
		for i, e := range list {
			if stamp[order[i]] != mark && e.addInvoke < r.op.Complete {
				e.absent = r.op
			}
		}
	}

	// Outcomes.
	var lost, neverRead, stale []*element
	var stableLat, lostLat []float64
	for _, e := range list {
		isStable := e.present != nil && (e.absent == nil || readBefore(e.absent, e.present))
		isLost := e.known && e.absent != nil &&
			(e.present == nil || readBefore(e.present, e.absent)) &&
			e.knownAt < e.absent.Invoke
		switch {
		case isStable:
			ev.StableCount++
			var lat int64
			if e.absent != nil {
				lat = max(0, e.absent.Invoke+1-e.knownAt)
			}
			stableLat = append(stableLat, ms(lat))
			if e.known && e.absent != nil && e.absent.Invoke > e.knownAt {
				stale = append(stale, e)
			}
		case isLost:
			lost = append(lost, e)
			var at int64
			if e.present != nil {
				at = e.present.Invoke + 1
			}
			lostLat = append(lostLat, ms(max(0, at-e.knownAt)))
		default:
			neverRead = append(neverRead, e)
		}
	}
	ev.AttemptCount = len(list)
	ev.AcknowledgedCount = acked
	ev.LostCount, ev.NeverReadCount, ev.StaleCount = len(lost), len(neverRead), len(stale)
	ev.Lost = values(lost)
	ev.NeverRead = values(neverRead)
	ev.Stale = values(stale)
	sortElements(lost)
	for _, e := range lost {
		if len(ev.LostDetail) == listCap {
			break
		}
		d := LostElement{Element: e.value, KnownOp: e.knownOp, LastAbsent: e.absent.Index, Node: e.absent.Node, Acked: e.acked}
		var at int64
		if e.present != nil {
			at = e.present.Invoke + 1
			i := e.present.Index
			d.LastSeenOp = &i
		}
		d.LatencyMS = ms(max(0, at-e.knownAt))
		ev.LostDetail = append(ev.LostDetail, d)
	}
	worst := make([]*element, len(stale))
	copy(worst, stale)
	sort.SliceStable(worst, func(i, j int) bool {
		li, lj := worst[i].absent.Invoke-worst[i].knownAt, worst[j].absent.Invoke-worst[j].knownAt
		if li != lj {
			return li > lj
		}
		return jsonval.Less(worst[i].value, worst[j].value)
	})
	for _, e := range worst[:min(8, len(worst))] {
		ev.WorstStale = append(ev.WorstStale, StaleElement{
			Element: e.value, LatencyMS: ms(e.absent.Invoke + 1 - e.knownAt),
			KnownOp: e.knownOp, LastAbsent: e.absent.Index,
		})
	}
	ev.StableLatencies = quantiles(stableLat)
	ev.LostLatencies = quantiles(lostLat)

	// Unexpected values and duplicates, sorted.
	for _, u := range unexpected {
		ev.Unexpected = append(ev.Unexpected, *u)
	}
	sort.Slice(ev.Unexpected, func(i, j int) bool { return jsonval.Less(ev.Unexpected[i].Element, ev.Unexpected[j].Element) })
	ev.UnexpectedCount = len(ev.Unexpected)
	ev.Unexpected = ev.Unexpected[:min(listCap, len(ev.Unexpected))]
	for _, d := range dups {
		ev.Duplicated = append(ev.Duplicated, *d)
	}
	sort.Slice(ev.Duplicated, func(i, j int) bool { return jsonval.Less(ev.Duplicated[i].Element, ev.Duplicated[j].Element) })
	ev.DuplicatedCount = len(ev.Duplicated)
	ev.Duplicated = ev.Duplicated[:min(listCap, len(ev.Duplicated))]

	// Final reads: each must hold every element known before it began.
	missingNodes := map[string][]any{}
	var finals []*read
	for _, r := range reads {
		if r.op.Final {
			finals = append(finals, r)
		}
	}
	sort.SliceStable(finals, func(i, j int) bool {
		if finals[i].op.Node != finals[j].op.Node {
			return finals[i].op.Node < finals[j].op.Node
		}
		return finals[i].op.Index < finals[j].op.Index
	})
	missingTotal := 0
	clear(stamp)
	for fi, r := range finals {
		mark := int32(fi + 1)
		for _, id := range r.ids {
			stamp[id] = mark
		}
		var missing []*element
		for i, e := range list {
			if e.known && e.knownAt < r.op.Invoke && stamp[order[i]] != mark {
				missing = append(missing, e)
			}
		}
		fr := FinalRead{Node: r.op.Node, Index: r.op.Index, Count: len(r.ids), MissingCount: len(missing), Missing: values(missing)}
		ev.FinalReads = append(ev.FinalReads, fr)
		if len(missing) > 0 {
			missingTotal += len(missing)
			missingNodes[r.op.Node] = fr.Missing
		}
	}
	for n := range finalNodes {
		if !okFinalNodes[n] {
			ev.NodesWithoutFinalRead = append(ev.NodesWithoutFinalRead, n)
		}
	}
	sort.Strings(ev.NodesWithoutFinalRead)

	// Verdict.
	var problems []string
	if len(lost) > 0 {
		problems = append(problems, fmt.Sprintf("%d lost (%s)", len(lost), preview(ev.Lost)))
	}
	if missingTotal > 0 {
		nodes := sortedKeys(missingNodes)
		var parts []string
		for _, n := range nodes {
			label := n
			if label == "" {
				label = "?"
			}
			parts = append(parts, fmt.Sprintf("%s lacks %s", label, preview(missingNodes[n])))
		}
		problems = append(problems, "final reads miss known elements: "+strings.Join(parts, "; "))
	}
	if ev.UnexpectedCount > 0 {
		vals := make([]any, len(ev.Unexpected))
		for i, u := range ev.Unexpected {
			vals[i] = u.Element
		}
		problems = append(problems, fmt.Sprintf("%d never added but read (%s)", ev.UnexpectedCount, preview(vals)))
	}
	if c.o.Linearizable && len(stale) > 0 {
		problems = append(problems, fmt.Sprintf("%d stale (%s)", len(stale), preview(ev.Stale)))
	}
	counts := fmt.Sprintf("%d added, %d acknowledged, %d stable, %d stale, %d never read, %d reads",
		ev.AttemptCount, ev.AcknowledgedCount, ev.StableCount, ev.StaleCount, ev.NeverReadCount, ev.ReadCount)
	switch {
	case len(problems) > 0:
		res.Valid = checkers.Invalid
		res.Summary = strings.Join(problems, "; ") + " (" + counts + ")"
	case len(ev.NodesWithoutFinalRead) > 0:
		res.Valid = checkers.Unknown
		res.Summary = fmt.Sprintf("no successful final read on %s (%s)", strings.Join(ev.NodesWithoutFinalRead, ", "), counts)
	case ev.StableCount == 0:
		res.Valid = checkers.Unknown
		res.Summary = "no element was ever read back (" + counts + ")"
	default:
		res.Valid = checkers.Valid
		res.Summary = counts
	}
	return res
}

func ms(ns int64) float64 {
	return math.Round(float64(ns)/float64(time.Millisecond)*1000) / 1000
}

// quantiles is set-full's frequency distribution over latencies.
func quantiles(xs []float64) map[string]float64 {
	if len(xs) == 0 {
		return nil
	}
	s := make([]float64, len(xs))
	copy(s, xs)
	sort.Float64s(s)
	out := map[string]float64{}
	for _, p := range []struct {
		name string
		q    float64
	}{{"0", 0}, {"0.5", 0.5}, {"0.95", 0.95}, {"0.99", 0.99}, {"1", 1}} {
		out[p.name] = s[min(len(s)-1, int(math.Floor(float64(len(s))*p.q)))]
	}
	return out
}

func sortElements(es []*element) {
	sort.SliceStable(es, func(i, j int) bool { return jsonval.Less(es[i].value, es[j].value) })
}

// values returns the elements' values, sorted and capped.
func values(es []*element) []any {
	if len(es) == 0 {
		return nil
	}
	vs := make([]any, len(es))
	for i, e := range es {
		vs[i] = e.value
	}
	jsonval.Sort(vs)
	return vs[:min(listCap, len(vs))]
}

func preview(vs []any) string {
	const n = 10
	parts := make([]string, 0, n+1)
	for i, v := range vs {
		if i == n {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, jsonval.Canon(v))
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
