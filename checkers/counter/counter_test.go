package counter

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

type o struct {
	f     string
	v, r  any
	out   history.Outcome
	final bool
	node  string
}

func build(ops ...o) history.History {
	h := make(history.History, len(ops))
	for i, x := range ops {
		out := x.out
		if out == "" {
			out = history.OK
		}
		h[i] = &history.Op{Index: i, F: x.f, Value: x.v, Result: x.r, Outcome: out, Final: x.final, Node: x.node,
			Invoke: int64(i), Complete: int64(i) + 1}
	}
	return h
}

func addOp(d any, out history.Outcome) o { return o{f: "add", v: d, out: out} }
func final(node string, v any) o         { return o{f: "read", r: v, final: true, node: node} }
func mid(v any) o                        { return o{f: "read", r: v, node: "n0"} }

func TestCounterChecker(t *testing.T) {
	cases := []struct {
		name string
		h    history.History
		want checkers.Validity
		in   []string
	}{
		{"acknowledged sum on every node",
			build(addOp(int64(3), ""), addOp(2, ""), final("n0", int64(5)), final("n1", 5)), checkers.Valid, []string{"all 2 final reads within {5}"}},
		{"indefinite adds may or may not count",
			build(addOp(10, ""), addOp(5, history.Info), addOp(7, history.Info),
				final("n0", 10), final("n1", 15), final("n2", 17), final("n3", 22)), checkers.Valid, nil},
		{"failed adds never count",
			build(addOp(10, ""), addOp(5, history.Fail), final("n0", 10)), checkers.Valid, nil},
		{"negative indefinite deltas",
			build(addOp(10, ""), addOp(-4, history.Info), addOp(3, ""), final("n0", 9), final("n1", 13)), checkers.Valid, nil},
		{"reads that went through JSON",
			build(addOp(float64(2), ""), addOp(json.Number("3"), ""), final("n0", float64(5)), final("n1", json.Number("5")), final("n2", json.Number("5.0"))),
			checkers.Valid, nil},
		{"stale reads before the final phase are not checked",
			build(addOp(4, ""), mid(0), mid(-100), final("n0", 4)), checkers.Valid, nil},
		{"zero-delta indefinite adds",
			build(addOp(4, ""), addOp(0, history.Info), final("n0", 4)), checkers.Valid, nil},
		{"final read between subset sums",
			build(addOp(10, ""), addOp(5, history.Info), addOp(7, history.Info), final("n0", 12)), checkers.Invalid, []string{"n0 read 12", "{10, 15, 17, 22}"}},
		{"final read below the acknowledged sum",
			build(addOp(10, ""), addOp(1, history.Info), final("n0", 10), final("n1", 9)), checkers.Invalid, []string{"1 of 2 final reads outside {10..11}", "n1 read 9"}},
		{"final read above every possibility",
			build(addOp(1, ""), addOp(1, history.Info), final("n0", 3)), checkers.Invalid, nil},
		{"pn lower bound uses negative indefinite deltas",
			build(addOp(10, ""), addOp(-3, history.Info), addOp(2, history.Info), final("n0", 6)), checkers.Invalid, []string{"{7, 9..10, 12}"}},
		{"a final read that is not an integer",
			build(addOp(1, ""), final("n0", 1.5)), checkers.Invalid, nil},
		{"a final read that is a string",
			build(addOp(1, ""), final("n0", "1")), checkers.Invalid, nil},
		{"no final read",
			build(addOp(1, ""), mid(1)), checkers.Unknown, nil},
		{"a node's final read failed",
			build(addOp(1, ""), final("n0", 1), o{f: "read", out: history.Info, final: true, node: "n1"}), checkers.Unknown, []string{"n1"}},
		{"an add whose delta is not an integer",
			build(addOp("x", ""), final("n0", 0)), checkers.Unknown, nil},
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
			if _, err := json.Marshal(res); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSubsetSums(t *testing.T) {
	set, approx, over := subsetSums(0, []int64{1, 1, 1}, 100)
	if approx || over || len(set) != 1 || set[0] != (Range{0, 3}) {
		t.Errorf("got %v %v %v", set, approx, over)
	}
	set, _, _ = subsetSums(0, []int64{10, 100}, 100)
	want := []Range{{0, 0}, {10, 10}, {100, 100}, {110, 110}}
	if len(set) != len(want) {
		t.Fatalf("got %v, want %v", set, want)
	}
	for i := range want {
		if set[i] != want[i] {
			t.Fatalf("got %v, want %v", set, want)
		}
	}
	// Past the bound the set widens to its hull, and says so.
	set, approx, _ = subsetSums(0, []int64{1, 10, 100, 1000, -5}, 4)
	if !approx || len(set) != 1 || set[0] != (Range{-5, 1111}) {
		t.Errorf("widened to %v (approx %v), want [-5 1111]", set, approx)
	}
	_, _, over = subsetSums(1<<62, []int64{1 << 62, 1 << 62}, 100)
	if !over {
		t.Error("overflow not reported")
	}
	if !contains([]Range{{1, 3}, {7, 7}}, 7) || contains([]Range{{1, 3}, {7, 7}}, 5) || contains(nil, 0) {
		t.Error("contains is wrong")
	}
}

func TestCounterWidenedIsNoted(t *testing.T) {
	h := build(addOp(0, ""), addOp(1, history.Info), addOp(10, history.Info), addOp(100, history.Info), final("n0", 111))
	res := New(Options{MaxRanges: 2}).Check(h)
	if res.Valid != checkers.Valid || !res.Evidence.(*Evidence).Approximate || !strings.Contains(res.Summary, "widened") {
		t.Errorf("%s %s", res.Valid, res.Summary)
	}
}

func TestCounterAfterJSONL(t *testing.T) {
	h := build(addOp(int64(10), ""), addOp(int64(5), history.Info), final("n0", int64(12)), final("n1", int64(15)))
	var buf bytes.Buffer
	if err := h.WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := history.ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	a, b := New(Options{}).Check(h), New(Options{}).Check(back)
	if a.Valid != checkers.Invalid || a.Summary != b.Summary {
		t.Errorf("before %s %q, after %s %q", a.Valid, a.Summary, b.Valid, b.Summary)
	}
}
