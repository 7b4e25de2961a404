package linearizable

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

const (
	infinity      = math.MaxInt64 // an info op's return time
	maxExactFloat = 1 << 53       // floats beyond this may have lost digits
)

// OpError is a history operation the checker cannot interpret.
type OpError struct {
	Index   int    `json:"index"`
	Process int    `json:"process"`
	F       string `json:"f"`
	Key     string `json:"key"`
	Reason  string `json:"reason"`
}

func (e *OpError) Error() string {
	return fmt.Sprintf("history index %d (process %d, %s on key %q): %s", e.Index, e.Process, e.F, e.Key, e.Reason)
}

// Operations turns a register workload's history into Porcupine operations
// for RegisterModel, each carrying its *history.Op as Metadata.
//
// Fail operations did not happen and info reads changed nothing, so both are
// left out. An info write or cas returns at +infinity with an Indefinite
// reply: it may take effect at any point after its invocation.
func Operations(h history.History) ([]porcupine.Operation, error) {
	ops := make([]porcupine.Operation, 0, len(h))
	for _, op := range h {
		if op == nil {
			continue
		}
		pop, keep, err := operation(op)
		if err != nil {
			return nil, err
		}
		if keep {
			ops = append(ops, pop)
		}
	}
	return ops, nil
}

// operation converts one history op; keep is false for ops that cannot
// affect the verdict.
func operation(op *history.Op) (pop porcupine.Operation, keep bool, err error) {
	bad := func(format string, args ...any) (porcupine.Operation, bool, error) {
		return porcupine.Operation{}, false, &OpError{
			Index: op.Index, Process: op.Process, F: op.F, Key: op.Key,
			Reason: fmt.Sprintf(format, args...),
		}
	}
	switch op.Outcome {
	case history.Fail:
		return pop, false, nil
	case history.Info:
		if op.F == "read" {
			return pop, false, nil
		}
	case history.OK:
		if op.Complete < op.Invoke {
			return bad("completed at %d, before its invocation at %d", op.Complete, op.Invoke)
		}
	default:
		return bad("unknown outcome %q", op.Outcome)
	}

	call := Call{F: op.F, Key: op.Key}
	switch op.F {
	case "read":
	case "write":
		v, err := toInt(op.Value)
		if err != nil {
			return bad("write value: %v", err)
		}
		call.Value = v
	case "cas":
		from, to, err := toPair(op.Value)
		if err != nil {
			return bad("cas value must be [from, to]: %v", err)
		}
		call.From, call.To = from, to
	default:
		return bad("not a register operation (want read, write or cas)")
	}

	reply := Reply{Status: Indefinite}
	ret := int64(infinity)
	if op.Outcome == history.OK {
		ret = op.Complete
		if reply, err = okReply(op); err != nil {
			return bad("%v", err)
		}
	}
	return porcupine.Operation{
		ClientId: op.Process,
		Input:    call,
		Call:     op.Invoke,
		Output:   reply,
		Return:   ret,
		Metadata: op,
	}, true, nil
}

// okReply reads what an ok operation returned. Errors 20 and 22 are answers
// the register gave, so they are checked like any other result.
func okReply(op *history.Op) (Reply, error) {
	if op.Error != nil {
		switch {
		case op.Error.Code == maelstrom.KeyDoesNotExist && op.F != "write":
			return Reply{Status: Absent}, nil
		case op.Error.Code == maelstrom.PreconditionFailed && op.F == "cas":
			return Reply{Status: Mismatch}, nil
		}
		return Reply{}, fmt.Errorf("ok %s with error %d: only 20 (read, cas) and 22 (cas) are results", op.F, op.Error.Code)
	}
	if op.F != "read" {
		return Reply{Status: Done}, nil
	}
	if op.Result == nil {
		return Reply{}, fmt.Errorf("ok read without a result (an absent key is error 20)")
	}
	v, err := toInt(op.Result)
	if err != nil {
		return Reply{}, fmt.Errorf("read result: %v", err)
	}
	return Reply{Status: Done, Value: v}, nil
}

// toInt accepts the integer forms a value takes in memory and after a JSON
// round trip (float64, json.Number), and nothing that would lose digits.
func toInt(v any) (int, error) {
	switch x := v.(type) {
	case nil:
		return 0, fmt.Errorf("missing")
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > maxExactFloat {
			return 0, fmt.Errorf("%v is not an integer", x)
		}
		return int(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i), nil
		}
		f, err := x.Float64()
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		return toInt(f)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u := rv.Uint(); u <= math.MaxInt {
			return int(u), nil
		}
	}
	return 0, fmt.Errorf("%v (%T) is not an integer", v, v)
}

// toPair reads a cas argument: any two-element array or slice of integers,
// such as [2]int in memory or []any after a JSON round trip.
func toPair(v any) (from, to int, err error) {
	rv := reflect.ValueOf(v)
	if v == nil || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Len() != 2 {
		return 0, 0, fmt.Errorf("got %v (%T)", v, v)
	}
	if from, err = toInt(rv.Index(0).Interface()); err != nil {
		return 0, 0, fmt.Errorf("from: %v", err)
	}
	if to, err = toInt(rv.Index(1).Interface()); err != nil {
		return 0, 0, fmt.Errorf("to: %v", err)
	}
	return from, to, nil
}

// partitionByKey splits operations into one history per register. Keys come
// out in a fixed order (numerically where they are numbers) so that
// partition i means the same key on every call.
func partitionByKey(ops []porcupine.Operation) [][]porcupine.Operation {
	sizes := make(map[string]int)
	for _, op := range ops {
		sizes[op.Input.(Call).Key]++
	}
	keys := slices.SortedFunc(maps.Keys(sizes), compareKeys)

	// Carve every partition out of one array: this runs twice per check on
	// histories of hundreds of thousands of operations.
	all := make([]porcupine.Operation, len(ops))
	parts := make([][]porcupine.Operation, len(keys))
	index := make(map[string]int, len(keys))
	offset := 0
	for i, k := range keys {
		parts[i] = all[offset : offset : offset+sizes[k]]
		index[k] = i
		offset += sizes[k]
	}
	for _, op := range ops {
		i := index[op.Input.(Call).Key]
		parts[i] = append(parts[i], op)
	}
	return parts
}

// compareKeys orders numeric keys by number, before other keys in string
// order.
func compareKeys(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return cmp.Or(cmp.Compare(x, y), strings.Compare(a, b)) // "07" and "7"
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// pruneUnobserved drops, from one key's operations, the indefinite writes
// and cas whose value nobody can have seen. Each such operation is
// concurrent with everything after its invocation, so the search would try
// it at every point; a run whose key stalls (a crashed node, a slow chain)
// leaves many of them, and the search grows exponentially in their number.
//
// It is sound. A linearization with such an operation at some point stays
// one without it: while the register held its value, no read returned it,
// no cas expected it (so none applied on it) and no cas was refused on it
// (no refused cas can be placed after its invocation), so nothing in that
// stretch saw it, and an indefinite cas in the stretch that would now match
// the older value may instead be placed at the end, as never having taken
// effect. Conversely, an indefinite operation may always be placed last,
// where nothing sees it. So the key is linearizable with it if and only if
// without it.
func pruneUnobserved(part []porcupine.Operation) []porcupine.Operation {
	seen := map[int]bool{}         // values a read returned or a cas expected
	lastRefused := int64(-1 << 63) // the latest return of a refused cas
	for _, op := range part {
		call, reply := op.Input.(Call), op.Output.(Reply)
		switch {
		case call.F == "read" && reply.Status == Done:
			seen[reply.Value] = true
		case call.F == "cas":
			seen[call.From] = true
			if reply.Status == Mismatch {
				lastRefused = max(lastRefused, op.Return)
			}
		}
	}
	kept := part[:0:0]
	for _, op := range part {
		call, reply := op.Input.(Call), op.Output.(Reply)
		if reply.Status == Indefinite && call.F != "read" && !seen[written(call)] && lastRefused < op.Call {
			continue
		}
		kept = append(kept, op)
	}
	return kept
}

// written is the value a write or cas stores.
func written(c Call) int {
	if c.F == "cas" {
		return c.To
	}
	return c.Value
}
