// Package txn is the shape of a transaction in a history: Maelstrom's
// micro-operations [f, k, v] for the txn-list-append and txn-rw-register
// workloads. Workloads write it, nodes read and answer it on the wire, and
// the transactional checkers read it back from history.jsonl.
//
// A transactional operation in a history has F "txn"; its Value is the Txn
// the client asked for (reads with a nil value) and its Result the Txn the
// node answered with (reads filled in). A history read from JSON holds
// generic values; Parse accepts both forms.
package txn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Micro-operation functions, as Maelstrom spells them.
const (
	Read   = "r"
	Write  = "w"      // txn-rw-register
	Append = "append" // txn-list-append
)

// Mop is one micro-operation. Keys and written values are integers. A
// read's Value is nil when not yet known (in a request, or a read of a key
// that was never written in rw-register), an int in rw-register, and an
// []int in list-append (nil also for the empty list as Maelstrom's nodes
// often send null).
type Mop struct {
	F     string
	Key   int
	Value any
}

// Txn is a transaction: micro-operations in the order they were applied.
type Txn []Mop

// MarshalJSON writes the Mop as Maelstrom's triple [f, k, v].
func (m Mop) MarshalJSON() ([]byte, error) {
	return json.Marshal([3]any{m.F, m.Key, m.Value})
}

// UnmarshalJSON reads a triple [f, k, v].
func (m *Mop) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("micro-op: %w", err)
	}
	mop, err := parseMop(raw)
	if err != nil {
		return err
	}
	*m = mop
	return nil
}

// Parse reads a transaction from what a history holds: a Txn as a workload
// recorded it, or the generic JSON values ([]any of [f, k, v]) that
// history.ReadJSONL gives back.
func Parse(v any) (Txn, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case Txn:
		return t, nil
	case []Mop:
		return t, nil
	case []any:
		out := make(Txn, len(t))
		for i, x := range t {
			raw, ok := x.([]any)
			if !ok {
				return nil, fmt.Errorf("micro-op %d: want [f, k, v], got %T", i, x)
			}
			m, err := parseMop(raw)
			if err != nil {
				return nil, fmt.Errorf("micro-op %d: %w", i, err)
			}
			out[i] = m
		}
		return out, nil
	case json.RawMessage:
		var out Txn
		if err := json.Unmarshal(t, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("transaction: want a list of [f, k, v], got %T", v)
}

func parseMop(raw []any) (Mop, error) {
	if len(raw) != 3 {
		return Mop{}, fmt.Errorf("micro-op: want [f, k, v], got %d elements", len(raw))
	}
	f, ok := raw[0].(string)
	if !ok {
		return Mop{}, fmt.Errorf("micro-op: f must be a string, got %T", raw[0])
	}
	k, err := Int(raw[1])
	if err != nil {
		return Mop{}, fmt.Errorf("micro-op key: %w", err)
	}
	m := Mop{F: f, Key: k}
	switch v := raw[2].(type) {
	case nil:
	case []any:
		list := make([]int, len(v))
		for i, x := range v {
			if list[i], err = Int(x); err != nil {
				return Mop{}, fmt.Errorf("micro-op value element %d: %w", i, err)
			}
		}
		m.Value = list
	case []int:
		m.Value = v
	default:
		if m.Value, err = Int(v); err != nil {
			return Mop{}, fmt.Errorf("micro-op value: %w", err)
		}
	}
	return m, nil
}

// Int converts a JSON number in any of the forms Go's decoders produce.
func Int(x any) (int, error) {
	switch n := x.(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, fmt.Errorf("%v is not an integer", n)
		}
		return int(n), nil
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", n.String())
		}
		return int(i), nil
	}
	return 0, fmt.Errorf("want an integer, got %T", x)
}
