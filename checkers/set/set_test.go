package set

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// o builds an operation; times are in milliseconds.
type o struct {
	f      string
	v, r   any
	out    history.Outcome
	inv    int64
	cmp    int64
	final  bool
	node   string
	noNode bool
}

func build(ops ...o) history.History {
	h := make(history.History, len(ops))
	for i, x := range ops {
		node := x.node
		if node == "" && !x.noNode {
			node = "n0"
		}
		out := x.out
		if out == "" {
			out = history.OK
		}
		h[i] = &history.Op{Index: i, F: x.f, Value: x.v, Result: x.r, Outcome: out,
			Invoke: x.inv * 1e6, Complete: x.cmp * 1e6, Final: x.final, Node: node}
	}
	return h
}

func add(v any, out history.Outcome, inv, cmp int64) o {
	return o{f: "add", v: v, out: out, inv: inv, cmp: cmp}
}

func rd(r any, inv, cmp int64) o { return o{f: "read", r: r, inv: inv, cmp: cmp} }

func final(node string, r any, inv, cmp int64) o {
	return o{f: "read", r: r, inv: inv, cmp: cmp, final: true, node: node}
}

func TestSetChecker(t *testing.T) {
	cases := []struct {
		name  string
		opts  Options
		h     history.History
		want  checkers.Validity
		in    []string // substrings the summary must contain
		check func(t *testing.T, ev *Evidence)
	}{
		{
			name: "all acknowledged adds everywhere",
			h: build(add(0, "", 0, 1), add(1, "", 2, 3), rd([]any{0, 1}, 4, 5),
				final("n0", []any{0, 1}, 10, 11), final("n1", []any{1, 0}, 10, 12)),
			want: checkers.Valid,
			check: func(t *testing.T, ev *Evidence) {
				if ev.StableCount != 2 || ev.LostCount != 0 || len(ev.FinalReads) != 2 {
					t.Errorf("evidence %+v", ev)
				}
				if ev.StableLatencies == nil {
					t.Error("no stable latencies")
				}
			},
		},
		{
			name: "indefinite add never seen is fine",
			h: build(add(0, "", 0, 1), add(1, history.Info, 2, 50),
				final("n0", []any{0}, 60, 61), final("n1", []any{0}, 60, 61)),
			want: checkers.Valid,
			check: func(t *testing.T, ev *Evidence) {
				if ev.NeverReadCount != 1 {
					t.Errorf("never read %d, want 1", ev.NeverReadCount)
				}
			},
		},
		{
			name: "indefinite add seen everywhere is fine",
			h: build(add(0, history.Info, 0, 50),
				final("n0", []any{0}, 60, 61), final("n1", []any{0}, 60, 61)),
			want: checkers.Valid,
		},
		{
			name: "failed add absent is fine",
			h: build(add(0, "", 0, 1), add(1, history.Fail, 2, 3),
				final("n0", []any{0}, 60, 61)),
			want: checkers.Valid,
		},
		{
			name: "stale but eventually present is fine when eventually consistent",
			h: build(add(0, "", 0, 1), rd([]any{}, 5, 6), rd([]any{0}, 10, 11),
				final("n0", []any{0}, 60, 61)),
			want: checkers.Valid,
			check: func(t *testing.T, ev *Evidence) {
				if ev.StaleCount != 1 || len(ev.WorstStale) != 1 || ev.WorstStale[0].LatencyMS < 4 {
					t.Errorf("stale %d %+v", ev.StaleCount, ev.WorstStale)
				}
			},
		},
		{
			name: "stale is an error when linearizable",
			opts: Options{Linearizable: true},
			h: build(add(0, "", 0, 1), rd([]any{}, 5, 6), rd([]any{0}, 10, 11),
				final("n0", []any{0}, 60, 61)),
			want: checkers.Invalid,
			in:   []string{"1 stale"},
		},
		{
			name: "a read concurrent with the add may miss it",
			h: build(add(0, "", 0, 10), rd([]any{}, 5, 12),
				final("n0", []any{0}, 60, 61)),
			want: checkers.Valid,
			check: func(t *testing.T, ev *Evidence) {
				if ev.StaleCount != 0 {
					t.Errorf("stale %d, want 0", ev.StaleCount)
				}
			},
		},
		{
			name: "values after JSON round trips compare as numbers",
			h: build(add(1, "", 0, 1), add(int64(2), "", 0, 1), add(json.Number("9007199254740993"), "", 0, 1),
				final("n0", []any{float64(1), json.Number("2"), json.Number("9007199254740993")}, 60, 61),
				final("n1", []any{json.Number("1.0"), float64(2), int64(9007199254740993)}, 60, 61)),
			want: checkers.Valid,
		},
		{
			name: "duplicates within a read are reported, not counted against the run",
			h:    build(add(0, "", 0, 1), final("n0", []any{0, 0, 0}, 60, 61)),
			want: checkers.Valid,
			check: func(t *testing.T, ev *Evidence) {
				if ev.DuplicatedCount != 1 || ev.Duplicated[0].Count != 3 {
					t.Errorf("duplicates %+v", ev.Duplicated)
				}
			},
		},
		{
			name: "a failed add that shows up anyway is tolerated, as set-full does",
			h:    build(add(0, history.Fail, 0, 1), final("n0", []any{0}, 60, 61)),
			want: checkers.Valid,
		},
		{
			name: "acknowledged add missing from one node's final read",
			h: build(add(0, "", 0, 1), add(1, "", 2, 3),
				final("n0", []any{0, 1}, 60, 61), final("n2", []any{0}, 60, 62)),
			want: checkers.Invalid,
			in:   []string{"n2 lacks 1"},
			check: func(t *testing.T, ev *Evidence) {
				var n2 *FinalRead
				for i := range ev.FinalReads {
					if ev.FinalReads[i].Node == "n2" {
						n2 = &ev.FinalReads[i]
					}
				}
				if n2 == nil || n2.MissingCount != 1 || len(n2.Missing) != 1 || n2.Missing[0] != 1 {
					t.Errorf("final reads %+v", ev.FinalReads)
				}
			},
		},
		{
			// n2's final read is invoked first, so set-full alone would call
			// the element stable; the final-read rule still catches it.
			name: "missing from a final read that began before the others",
			h: build(add(5, "", 0, 1),
				final("n2", []any{}, 58, 59), final("n0", []any{5}, 60, 61)),
			want: checkers.Invalid,
			in:   []string{"n2 lacks 5"},
		},
		{
			name: "element seen in a read, later missing from a final read",
			h: build(add(7, history.Info, 0, 50), rd([]any{7}, 10, 11),
				final("n0", []any{7}, 60, 61), final("n1", []any{}, 60, 61)),
			want: checkers.Invalid,
			in:   []string{"n1 lacks 7"},
		},
		{
			name: "lost: acknowledged, then the last read misses it",
			h:    build(add(3, "", 0, 1), rd([]any{3}, 2, 3), rd([]any{}, 10, 11)),
			want: checkers.Invalid,
			in:   []string{"1 lost (3)"},
			check: func(t *testing.T, ev *Evidence) {
				if len(ev.LostDetail) != 1 || ev.LostDetail[0].LastAbsent != 2 || ev.LostDetail[0].LastSeenOp == nil {
					t.Errorf("lost detail %+v", ev.LostDetail)
				}
			},
		},
		{
			name: "a value nobody added",
			h: build(add(0, "", 0, 1),
				final("n0", []any{0, 99}, 60, 61)),
			want: checkers.Invalid,
			in:   []string{"never added but read (99)"},
			check: func(t *testing.T, ev *Evidence) {
				if ev.UnexpectedCount != 1 || ev.Unexpected[0].Element != 99 || ev.Unexpected[0].Node != "n0" {
					t.Errorf("unexpected %+v", ev.Unexpected)
				}
			},
		},
		{
			name: "the string \"1\" is not the number 1",
			h:    build(add(1, "", 0, 1), final("n0", []any{"1"}, 60, 61)),
			want: checkers.Invalid,
		},
		{
			name: "nothing read",
			h:    build(add(0, "", 0, 1), add(1, history.Info, 0, 1)),
			want: checkers.Unknown,
		},
		{
			name: "a node whose final read timed out",
			h: build(add(0, "", 0, 1),
				final("n0", []any{0}, 60, 61),
				o{f: "read", out: history.Info, inv: 60, cmp: 90, final: true, node: "n1"}),
			want: checkers.Unknown,
			in:   []string{"no successful final read on n1"},
		},
		{
			name: "broadcast op names",
			opts: Options{AddF: "broadcast"},
			h: build(o{f: "broadcast", v: 4, inv: 0, cmp: 1},
				final("n0", []any{}, 60, 61)),
			want: checkers.Invalid,
			in:   []string{"n0 lacks 4"},
		},
		{
			name: "an empty read round-trips as a missing result",
			h: build(add(0, "", 0, 1),
				final("n0", nil, 60, 61)),
			want: checkers.Invalid,
			in:   []string{"n0 lacks 0"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := New(tc.opts).Check(tc.h)
			if res.Valid != tc.want {
				t.Fatalf("valid = %s, want %s: %s", res.Valid, tc.want, res.Summary)
			}
			for _, s := range tc.in {
				if !strings.Contains(res.Summary, s) {
					t.Errorf("summary %q lacks %q", res.Summary, s)
				}
			}
			ev := res.Evidence.(*Evidence)
			if tc.check != nil {
				tc.check(t, ev)
			}
			if _, err := json.Marshal(res); err != nil {
				t.Errorf("result does not encode: %v", err)
			}
		})
	}
}

// A history written to history.jsonl and read back (numbers as float64)
// gets the same verdict.
func TestSetCheckerAfterJSONL(t *testing.T) {
	h := build(add(0, "", 0, 1), add(1, "", 2, 3), add(2, history.Info, 2, 30),
		rd([]any{0}, 4, 5), final("n0", []any{0, 1, 2}, 60, 61), final("n1", []any{0, 2}, 60, 61))
	var buf bytes.Buffer
	if err := h.WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := history.ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	a, b := New(Options{}).Check(h), New(Options{}).Check(back)
	if a.Valid != checkers.Invalid || b.Valid != a.Valid || a.Summary != b.Summary {
		t.Errorf("before: %s %s; after: %s %s", a.Valid, a.Summary, b.Valid, b.Summary)
	}
}

func TestSetCheckerDeterministicEvidence(t *testing.T) {
	var ops []o
	for i := range 50 {
		ops = append(ops, add(i, "", int64(i), int64(i)+1))
	}
	ops = append(ops, rd([]any{100, 101, 102}, 60, 61), final("n1", []any{}, 70, 71), final("n0", []any{3, 2, 1}, 70, 71))
	h := build(ops...)
	first, _ := json.Marshal(New(Options{}).Check(h))
	for range 5 {
		again, _ := json.Marshal(New(Options{}).Check(h))
		if !bytes.Equal(first, again) {
			t.Fatalf("evidence differs between runs:\n%s\n%s", first, again)
		}
	}
}
