package linearizable

import (
	"context"
	"fmt"
	"strconv"

	"github.com/anishathalye/porcupine"

	"github.com/ddbbench/ddbbench/history"
)

// Call is a register operation's invocation, the Input of a
// porcupine.Operation for RegisterModel.
type Call struct {
	F     string // "read", "write" or "cas"
	Key   string
	Value int // write: the value written
	From  int // cas: the value expected
	To    int // cas: the value to set
}

// Status is how a register operation ended, as far as the model cares.
type Status uint8

const (
	// Done: the operation completed normally; a read returned Reply.Value.
	Done Status = iota
	// Absent: the key did not exist (Maelstrom error 20), so a read
	// returned nothing and a cas did nothing.
	Absent
	// Mismatch: the register did not hold the cas's expected value
	// (Maelstrom error 22), so the cas did nothing.
	Mismatch
	// Indefinite: the operation ended info; it may have taken effect at
	// any point after its invocation, or never.
	Indefinite
)

// Reply is a register operation's completion, the Output of a
// porcupine.Operation for RegisterModel.
type Reply struct {
	Status Status
	Value  int // what a Done read returned
}

// State is one register: absent, or holding Value.
type State struct {
	Present bool
	Value   int
}

func (s State) String() string {
	if !s.Present {
		return "absent"
	}
	return strconv.Itoa(s.Value)
}

// step is the register's sequential specification. It is pure: State is a
// value, so the returned state never aliases the given one.
func step(s State, c Call, r Reply) (bool, State) {
	holdsFrom := s.Present && s.Value == c.From
	switch c.F {
	case "read":
		switch r.Status {
		case Done:
			return s.Present && s.Value == r.Value, s
		case Absent:
			return !s.Present, s
		case Indefinite:
			return true, s
		}
	case "write":
		if r.Status == Done || r.Status == Indefinite {
			return true, State{Present: true, Value: c.Value}
		}
	case "cas":
		switch r.Status {
		case Done:
			return holdsFrom, State{Present: true, Value: c.To}
		case Absent:
			return !s.Present, s
		case Mismatch:
			// An absent register also differs from any expected value.
			return !holdsFrom, s
		case Indefinite:
			// Where an indeterminate cas is linearized, it either matches
			// and applies or fails and changes nothing; never taking effect
			// at all is the same as being linearized last.
			if holdsFrom {
				return true, State{Present: true, Value: c.To}
			}
			return true, s
		}
	}
	return false, s
}

// RegisterModel is the Porcupine model of Maelstrom's lin-kv: independent
// registers, one per key, each initially absent, with read, write and cas.
// Operations are Call inputs and Reply outputs (see Operations); the model
// partitions them by key, so each register is checked on its own.
func RegisterModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() any { return State{} },
		Step: func(state, input, output any) (bool, any) {
			return step(state.(State), input.(Call), output.(Reply))
		},
		// A step is constant time, so there is nothing to interrupt inside
		// it; the check is that a cancelled search stops stepping at once.
		StepContext: func(ctx context.Context, state, input, output any) (bool, any) {
			if ctx.Err() != nil {
				return false, state
			}
			return step(state.(State), input.(Call), output.(Reply))
		},
		Equal: func(a, b any) bool { return a.(State) == b.(State) },
		Hash:  func(state any) uint64 { return hashState(state.(State)) },
		DescribeOperation: func(input, output any) string {
			return describe(input.(Call), output.(Reply))
		},
		DescribeState:             func(state any) string { return state.(State).String() },
		DescribeOperationMetadata: describeMetadata,
	}
}

// hashState mixes the value with splitmix64's finalizer so that nearby
// values land in different buckets of Porcupine's cache; absent gets a
// constant of its own.
func hashState(s State) uint64 {
	if !s.Present {
		return 0x9e3779b97f4a7c15
	}
	x := uint64(s.Value)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func describe(c Call, r Reply) string {
	var call string
	switch c.F {
	case "read":
		call = "read()"
	case "write":
		call = fmt.Sprintf("write(%d)", c.Value)
	case "cas":
		call = fmt.Sprintf("cas(%d → %d)", c.From, c.To)
	default:
		call = c.F + "()"
	}
	switch r.Status {
	case Done:
		if c.F == "read" {
			return fmt.Sprintf("%s → %d", call, r.Value)
		}
		return call + " → ok"
	case Absent:
		return call + " → absent (20)"
	case Mismatch:
		return call + " → mismatch (22)"
	}
	return call + " → ?"
}

// describeMetadata names the history operation behind a Porcupine
// operation, so a reader of the visualization can find it in history.jsonl.
func describeMetadata(meta any) string {
	op, ok := meta.(*history.Op)
	if !ok || op == nil {
		if meta == nil {
			return ""
		}
		return fmt.Sprint(meta)
	}
	s := fmt.Sprintf("history index %d, process %d", op.Index, op.Process)
	if op.Client != "" || op.Node != "" {
		s += fmt.Sprintf(", %s → %s", op.Client, op.Node)
	}
	return s + ", " + string(op.Outcome)
}
