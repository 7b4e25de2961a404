package atomicity

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
)

func appends(outcome history.Outcome, kv ...int) *history.Op {
	t := txn.Txn{}
	for i := 0; i < len(kv); i += 2 {
		t = append(t, txn.Mop{F: txn.Append, Key: kv[i], Value: kv[i+1]})
	}
	return &history.Op{F: "txn", Value: t, Outcome: outcome}
}

// final reads the given lists, key -> elements.
func final(lists map[int][]int) *history.Op {
	var t txn.Txn
	for k := range 10 {
		if l, ok := lists[k]; ok {
			t = append(t, txn.Mop{F: txn.Read, Key: k, Value: l})
		}
	}
	return &history.Op{F: "txn", Value: t, Result: t, Outcome: history.OK, Final: true}
}

func index(ops ...*history.Op) history.History {
	for i, op := range ops {
		op.Index = i
	}
	return ops
}

func TestAtomicity(t *testing.T) {
	for _, tc := range []struct {
		name  string
		h     history.History
		want  checkers.Validity
		words string // in the summary
	}{
		{"committed all visible, failed none, indefinite all or none", index(
			appends(history.OK, 1, 1, 2, 1), appends(history.Fail, 1, 2, 2, 2), appends(history.Info, 1, 3, 2, 3), appends(history.Info, 1, 4, 3, 1),
			final(map[int][]int{1: {1, 3}, 2: {1, 3}, 3: {}}),
		), checkers.Valid, "all or nothing"},
		{"reads only", index(
			&history.Op{F: "txn", Value: txn.Txn{{F: txn.Read, Key: 1}}, Outcome: history.OK},
			final(map[int][]int{1: {}}),
		), checkers.Valid, "0 transactions"},
		{"a committed transaction half applied", index(
			appends(history.OK, 1, 1, 2, 1), final(map[int][]int{1: {1}, 2: {}}),
		), checkers.Invalid, "#0 (ok) is half applied: visible 1 to key 1; missing 1 to key 2"},
		{"an indefinite transaction half applied", index(
			appends(history.Info, 1, 1, 2, 1), final(map[int][]int{1: {}, 2: {1}}),
		), checkers.Invalid, "partial ×1"},
		{"a committed transaction lost", index(
			appends(history.OK, 1, 1), final(map[int][]int{1: {}}),
		), checkers.Invalid, "lost ×1"},
		{"a failed transaction visible", index(
			appends(history.Fail, 1, 1, 2, 5), final(map[int][]int{1: {1}, 2: {5}}),
		), checkers.Invalid, "aborted-visible ×1"},
		{"no final read", index(appends(history.OK, 1, 1)), checkers.Unknown, "no final read"},
		{"a key no final read covered", index(
			appends(history.OK, 1, 1), appends(history.OK, 7, 1), final(map[int][]int{1: {1}}),
		), checkers.Unknown, "keys [7]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New().Check(tc.h)
			if r.Valid != tc.want || !strings.Contains(r.Summary, tc.words) {
				t.Fatalf("got %s %q, want %s containing %q", r.Valid, r.Summary, tc.want, tc.words)
			}
		})
	}
}

// A history whose transactions each took effect all or not at all, as
// their outcomes allow, is valid; making one append of a transaction with
// several disappear from the final reads makes it invalid, and the
// evidence names that transaction.
func TestAllOrNothingProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "txns")
		var h history.History
		lists := map[int][]int{}
		next := map[int]int{}
		var multi []int // transactions with two appends or more that took effect
		for i := range n {
			outcome := rapid.SampledFrom([]history.Outcome{history.OK, history.Fail, history.Info}).Draw(t, "outcome")
			applied := outcome == history.OK || (outcome == history.Info && rapid.Bool().Draw(t, "applied"))
			var kv []int
			for range rapid.IntRange(1, 3).Draw(t, "appends") {
				k := rapid.IntRange(0, 4).Draw(t, "key")
				next[k]++
				kv = append(kv, k, next[k])
				if applied {
					lists[k] = append(lists[k], next[k])
				}
			}
			if applied && len(kv) > 2 {
				multi = append(multi, i)
			}
			h = append(h, appends(outcome, kv...))
		}
		for k := range 5 {
			if lists[k] == nil {
				lists[k] = []int{}
			}
		}
		h = append(h, final(lists))
		index(h...)
		if r := New().Check(h); r.Valid != checkers.Valid {
			t.Fatalf("all-or-nothing history judged %s: %s", r.Valid, r.Summary)
		}
		if len(multi) == 0 {
			return
		}
		victim := rapid.SampledFrom(multi).Draw(t, "victim")
		m := h[victim].Value.(txn.Txn)[0]
		lists[m.Key] = removed(lists[m.Key], m.Value.(int))
		h[len(h)-1] = final(lists)
		index(h...)
		r := New().Check(h)
		if r.Valid != checkers.Invalid {
			t.Fatalf("transaction #%d lost its append to key %d, yet judged %s: %s", victim, m.Key, r.Valid, r.Summary)
		}
		ev := r.Evidence.(*Evidence)
		if ev.Violations[0].Index != victim {
			t.Fatalf("evidence names #%d, want #%d: %s", ev.Violations[0].Index, victim, r.Summary)
		}
	})
}

func removed(l []int, e int) []int {
	var out []int
	for _, x := range l {
		if x != e {
			out = append(out, x)
		}
	}
	if out == nil {
		out = []int{}
	}
	return out
}
