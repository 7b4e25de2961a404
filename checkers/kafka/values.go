package kafka

import (
	"encoding/json"
	"fmt"

	"github.com/ddbbench/ddbbench/checkers/jsonval"
)

// Pair is one [offset, msg] entry of a poll's result. It encodes as the
// two-element JSON array Maelstrom uses.
type Pair struct {
	Offset int64
	Msg    any
}

// MarshalJSON writes [offset, msg].
func (p Pair) MarshalJSON() ([]byte, error) { return json.Marshal([2]any{p.Offset, p.Msg}) }

// UnmarshalJSON reads [offset, msg], keeping the offset exact.
func (p *Pair) UnmarshalJSON(b []byte) error {
	v, err := jsonval.Decode(b)
	if err != nil {
		return err
	}
	q, err := toPair(v)
	if err != nil {
		return err
	}
	*p = q
	return nil
}

func toPair(v any) (Pair, error) {
	if p, ok := v.(Pair); ok {
		return p, nil
	}
	es, ok := jsonval.Elements(v)
	if !ok || len(es) != 2 {
		return Pair{}, fmt.Errorf("expected an [offset, msg] pair, got %s", jsonval.Canon(v))
	}
	off, ok := jsonval.Int64(es[0])
	if !ok {
		return Pair{}, fmt.Errorf("offset %s is not an integer", jsonval.Canon(es[0]))
	}
	return Pair{Offset: off, Msg: es[1]}, nil
}

// Msgs reads a poll's result, as the workload records it
// (map[string][]Pair) or as it comes back from a history file.
func Msgs(v any) (map[string][]Pair, bool) {
	switch x := v.(type) {
	case map[string][]Pair:
		return x, true
	case nil:
		return map[string][]Pair{}, true
	}
	obj, ok := jsonval.Object(v)
	if !ok {
		return nil, false
	}
	out := make(map[string][]Pair, len(obj))
	for k, list := range obj {
		es, ok := jsonval.Elements(list)
		if !ok {
			if list == nil {
				out[k] = nil
				continue
			}
			return nil, false
		}
		ps := make([]Pair, 0, len(es))
		for _, e := range es {
			p, err := toPair(e)
			if err != nil {
				return nil, false
			}
			ps = append(ps, p)
		}
		out[k] = ps
	}
	return out, true
}

// Offsets reads a map of keys to offsets: a commit's or a poll's Value, an
// assign's Result.
func Offsets(v any) (map[string]int64, bool) {
	switch x := v.(type) {
	case map[string]int64:
		return x, true
	case nil:
		return map[string]int64{}, true
	}
	obj, ok := jsonval.Object(v)
	if !ok {
		return nil, false
	}
	out := make(map[string]int64, len(obj))
	for k, o := range obj {
		off, ok := jsonval.Int64(o)
		if !ok {
			return nil, false
		}
		out[k] = off
	}
	return out, true
}

// Keys reads an assign's Value: a list of keys.
func Keys(v any) ([]string, bool) {
	if x, ok := v.([]string); ok {
		return x, true
	}
	es, ok := jsonval.Elements(v)
	if !ok {
		return nil, v == nil
	}
	out := make([]string, 0, len(es))
	for _, e := range es {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}
