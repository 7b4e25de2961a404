package unique

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

type g struct {
	id  any
	out history.Outcome
}

func build(gs ...g) history.History {
	h := make(history.History, len(gs))
	for i, x := range gs {
		out := x.out
		if out == "" {
			out = history.OK
		}
		h[i] = &history.Op{Index: i, Process: i % 3, Client: "c" + string(rune('0'+i%3)), Node: "n0", F: "generate", Result: x.id, Outcome: out}
	}
	return h
}

func TestUniqueChecker(t *testing.T) {
	cases := []struct {
		name string
		h    history.History
		want checkers.Validity
		in   []string
	}{
		{"distinct integers", build(g{id: 1}, g{id: 2}, g{id: 3}), checkers.Valid, []string{"all 3 IDs distinct"}},
		{"distinct values of every type", build(g{id: "1"}, g{id: 1}, g{id: []any{1, 2}}, g{id: map[string]any{"a": 1}}, g{id: nil}, g{id: true}), checkers.Valid, nil},
		{"large integers kept exact", build(g{id: json.Number("9007199254740993")}, g{id: json.Number("9007199254740992")}), checkers.Valid, nil},
		{"ids of failed and indefinite ops do not count",
			build(g{id: 1}, g{id: 1, out: history.Info}, g{id: 1, out: history.Fail}), checkers.Valid, nil},
		{"a duplicate", build(g{id: 1}, g{id: 2}, g{id: 1}), checkers.Invalid, []string{"1 ×2 (ops 0, 2)"}},
		{"a duplicate across number types", build(g{id: int64(5)}, g{id: float64(5)}, g{id: json.Number("5")}), checkers.Invalid, []string{"5 ×3"}},
		{"a duplicate compound id", build(g{id: []any{"n1", 3}}, g{id: []any{"n1", json.Number("3")}}), checkers.Invalid, nil},
		{"a duplicate string", build(g{id: "n1-7"}, g{id: "n1-7"}, g{id: "n2-7"}), checkers.Invalid, []string{`"n1-7" ×2`}},
		{"no id acknowledged", build(g{out: history.Info}), checkers.Unknown, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := New(Options{}).Check(tc.h)
			if res.Valid != tc.want {
				t.Fatalf("valid = %s, want %s: %s", res.Valid, tc.want, res.Summary)
			}
			for _, s := range tc.in {
				if !strings.Contains(res.Summary, s) {
					t.Errorf("summary %q lacks %q", res.Summary, s)
				}
			}
		})
	}
}

func TestUniqueEvidence(t *testing.T) {
	h := build(g{id: 7}, g{id: 3}, g{id: 7}, g{id: 9}, g{id: 3}, g{id: 3}, g{id: 1, out: history.Info})
	ev := New(Options{}).Check(h).Evidence.(*Evidence)
	if ev.AttemptedCount != 7 || ev.AcknowledgedCount != 6 || ev.DuplicatedCount != 2 {
		t.Errorf("counts %+v", ev)
	}
	// Most duplicated first.
	if ev.Duplicated[0].ID != 3 || ev.Duplicated[0].Count != 3 || len(ev.Duplicated[0].Ops) != 3 || ev.Duplicated[0].Ops[2].Index != 5 {
		t.Errorf("duplicated %+v", ev.Duplicated)
	}
	if ev.Range == nil || ev.Range[0] != 3 || ev.Range[1] != 9 {
		t.Errorf("range %v", ev.Range)
	}
	mixed := New(Options{}).Check(build(g{id: 1}, g{id: "a"})).Evidence.(*Evidence)
	if mixed.Range != nil {
		t.Errorf("range over mixed types: %v", mixed.Range)
	}
}

// After history.jsonl, integers come back as float64: still duplicates.
func TestUniqueAfterJSONL(t *testing.T) {
	h := build(g{id: int64(12)}, g{id: int64(12)}, g{id: "x"})
	var buf bytes.Buffer
	if err := h.WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := history.ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if res := New(Options{}).Check(back); res.Valid != checkers.Invalid {
		t.Errorf("after JSONL: %s %s", res.Valid, res.Summary)
	}
}
