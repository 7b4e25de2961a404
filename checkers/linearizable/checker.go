// Package linearizable checks register histories (Maelstrom's lin-kv
// workload) for linearizability with Porcupine, one key at a time.
package linearizable

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// VisualizationFile is the name of Porcupine's HTML rendering of a
// violation in Result.Files.
const VisualizationFile = "linearizability.html"

// How many operations a violation's evidence lists: enough to see the
// problem, few enough to read in results.json.
const (
	maxLastLinearized = 8
	maxNotLinearized  = 12
)

// Options configure the checker.
type Options struct {
	// Timeout bounds Porcupine's search; when it runs out the verdict is
	// unknown. Zero means no limit.
	Timeout time.Duration
}

// New returns the linearizability checker for register histories.
func New(opts Options) checkers.Checker { return &checker{opts: opts} }

type checker struct{ opts Options }

func (*checker) Name() string { return "linearizable" }

// Violation is the evidence of a non-linearizable history: the failing key
// with the fewest operations, and where on it Porcupine got stuck.
type Violation struct {
	Key    string `json:"key"`
	KeyOps int    `json:"key_ops"` // operations checked on the key
	// Linearized is the length of the longest legal order Porcupine found
	// for some of the key's operations; StateAfter is the register at its
	// end.
	Linearized     int          `json:"linearized"`
	StateAfter     string       `json:"state_after"`
	LastLinearized []EvidenceOp `json:"last_linearized"` // its last operations, in order
	// NotLinearized are the earliest-invoked operations outside it: the
	// ones that could come next, none of which fits.
	NotLinearized []EvidenceOp `json:"not_linearized"`
	Omitted       int          `json:"omitted"` // operations outside it not listed
}

// EvidenceOp is a history operation as the checker understood it.
type EvidenceOp struct {
	Index    int             `json:"index"` // history.Op.Index
	Process  int             `json:"process"`
	F        string          `json:"f"`
	Value    any             `json:"value,omitempty"`  // write: v; cas: [from, to]
	Result   any             `json:"result,omitempty"` // what an ok read returned
	Error    int             `json:"error,omitempty"`  // 20 or 22 on an ok op
	Type     history.Outcome `json:"type"`
	Invoke   int64           `json:"invoke_ns"`   // ns since the run's start
	Complete int64           `json:"complete_ns"` // ns since the run's start
}

// TimedOut is the evidence of an unknown verdict from the timeout.
type TimedOut struct {
	TimeoutS float64 `json:"timeout_s"` // the check's budget
	Ops      int     `json:"ops"`
	Keys     int     `json:"keys"`
}

func (c *checker) Check(h history.History) checkers.Result {
	result := checkers.Result{Checker: c.Name()}
	ops, err := Operations(h)
	if err != nil {
		result.Valid = checkers.Unknown
		result.Summary = "cannot check linearizability: " + err.Error()
		result.Evidence = err
		return result
	}
	model := RegisterModel()
	parts := partitionByKey(ops)

	start := time.Now()
	verdict, info := porcupine.CheckOperationsVerbose(model, ops, c.opts.Timeout)
	deadlinePassed := c.opts.Timeout > 0 && time.Since(start) >= c.opts.Timeout

	switch verdict {
	case porcupine.Ok:
		result.Valid = checkers.Valid
		result.Summary = fmt.Sprintf("linearizable: %d ops on %d keys", len(ops), len(parts))
		return result
	case porcupine.Unknown:
		result.Valid = checkers.Unknown
		result.Summary = fmt.Sprintf("unknown: the linearizability check of %d ops on %d keys timed out after %s",
			len(ops), len(parts), c.opts.Timeout)
		result.Evidence = TimedOut{TimeoutS: c.opts.Timeout.Seconds(), Ops: len(ops), Keys: len(parts)}
		return result
	}

	p, ok := c.smallestFailing(model, parts, info.PartialLinearizations(), deadlinePassed)
	if !ok {
		result.Valid = checkers.Unknown
		result.Summary = "unknown: Porcupine reported a violation but no key failed"
		return result
	}
	// Evidence first: Visualize sorts the partial linearizations in place.
	v := violation(parts[p], info.PartialLinearizations()[p])
	result.Valid = checkers.Invalid
	result.Evidence = v
	result.Summary = fmt.Sprintf("not linearizable: key %s, %d ops; see %s", v.Key, v.KeyOps, VisualizationFile)
	var html bytes.Buffer
	if err := porcupine.Visualize(model, info, &html); err != nil {
		result.Summary = fmt.Sprintf("not linearizable: key %s, %d ops (no visualization: %v)", v.Key, v.KeyOps, err)
		return result
	}
	result.Files = map[string][]byte{VisualizationFile: html.Bytes()}
	return result
}

// smallestFailing picks the failing partition with the fewest operations:
// one with no complete linearization. If the deadline passed during the
// check, partitions it interrupted look the same, so each candidate is
// checked again on its own until one fails outright.
func (c *checker) smallestFailing(model porcupine.Model, parts [][]porcupine.Operation, partials [][][]int, deadlinePassed bool) (int, bool) {
	var failing []int
	for p, part := range parts {
		complete := slices.ContainsFunc(partials[p], func(seq []int) bool { return len(seq) == len(part) })
		if !complete {
			failing = append(failing, p)
		}
	}
	if len(failing) == 0 {
		return 0, false
	}
	// Stable: among equal sizes, partitions are already in key order.
	sort.SliceStable(failing, func(i, j int) bool { return len(parts[failing[i]]) < len(parts[failing[j]]) })
	if deadlinePassed {
		for _, p := range failing {
			if porcupine.CheckOperationsTimeout(model, parts[p], c.opts.Timeout) == porcupine.Illegal {
				return p, true
			}
		}
	}
	return failing[0], true
}

// violation describes where Porcupine got stuck on one key: the end of the
// longest partial linearization and the operations it could not place.
func violation(part []porcupine.Operation, partials [][]int) Violation {
	best := longest(partials)
	state := State{}
	inBest := make([]bool, len(part))
	for _, id := range best {
		_, state = step(state, part[id].Input.(Call), part[id].Output.(Reply))
		inBest[id] = true
	}

	v := Violation{
		Key:        part[0].Input.(Call).Key,
		KeyOps:     len(part),
		Linearized: len(best),
		StateAfter: state.String(),
	}
	for _, id := range best[max(0, len(best)-maxLastLinearized):] {
		v.LastLinearized = append(v.LastLinearized, evidenceOp(part[id]))
	}

	var rest []int
	for id := range part {
		if !inBest[id] {
			rest = append(rest, id)
		}
	}
	sort.SliceStable(rest, func(i, j int) bool { return part[rest[i]].Call < part[rest[j]].Call })
	shown := rest[:min(len(rest), maxNotLinearized)]
	for _, id := range shown {
		v.NotLinearized = append(v.NotLinearized, evidenceOp(part[id]))
	}
	v.Omitted = len(rest) - len(shown)
	return v
}

// longest is the longest partial linearization; Porcupine returns them as a
// set in no fixed order, so ties go to the lexicographically first.
func longest(partials [][]int) []int {
	var best []int
	for _, seq := range partials {
		if len(seq) > len(best) || len(seq) == len(best) && slices.Compare(seq, best) < 0 {
			best = seq
		}
	}
	return best
}

func evidenceOp(op porcupine.Operation) EvidenceOp {
	call, reply := op.Input.(Call), op.Output.(Reply)
	e := EvidenceOp{Process: op.ClientId, F: call.F, Invoke: op.Call, Complete: op.Return}
	if h, ok := op.Metadata.(*history.Op); ok {
		e.Index, e.Type, e.Complete = h.Index, h.Outcome, h.Complete
	}
	switch call.F {
	case "write":
		e.Value = call.Value
	case "cas":
		e.Value = [2]int{call.From, call.To}
	}
	switch reply.Status {
	case Done:
		if call.F == "read" {
			e.Result = reply.Value
		}
	case Absent:
		e.Error = maelstrom.KeyDoesNotExist
	case Mismatch:
		e.Error = maelstrom.PreconditionFailed
	}
	return e
}
