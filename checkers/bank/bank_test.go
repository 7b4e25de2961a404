package bank

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

func read(node string, final bool, balances map[int]int) *history.Op {
	return &history.Op{F: "read", Node: node, Client: "c0", Outcome: history.OK, Final: final, Result: Result{Balances: balances}}
}

func transfer(outcome history.Outcome) *history.Op {
	return &history.Op{F: "transfer", Outcome: outcome}
}

func index(ops ...*history.Op) history.History {
	for i, op := range ops {
		op.Index = i
	}
	return ops
}

func TestBankInvariant(t *testing.T) {
	opts := Options{Accounts: 3, Total: 30}
	for _, tc := range []struct {
		name  string
		h     history.History
		want  checkers.Validity
		kind  string // the first error's kind, for invalid
		words string // in the summary
	}{
		{"consistent reads and agreeing finals", index(
			read("n0", false, map[int]int{0: 10, 1: 10, 2: 10}), transfer(history.OK), transfer(history.Info),
			read("n1", false, map[int]int{0: 5, 1: 15, 2: 10}),
			read("n0", true, map[int]int{0: 4, 1: 16, 2: 10}), read("n1", true, map[int]int{0: 4, 1: 16, 2: 10}),
		), checkers.Valid, "", "2 final reads agree"},
		{"a failed or indefinite read says nothing", index(
			read("n0", false, map[int]int{0: 10, 1: 10, 2: 10}),
			&history.Op{F: "read", Outcome: history.Info}, &history.Op{F: "read", Outcome: history.Fail},
		), checkers.Valid, "", "1 reads"},
		{"no read succeeded", index(transfer(history.OK), &history.Op{F: "read", Outcome: history.Info}),
			checkers.Unknown, "", "never observed"},
		{"half a transfer", index(
			read("n0", false, map[int]int{0: 10, 1: 10, 2: 10}), read("n2", false, map[int]int{0: 7, 1: 10, 2: 10}),
		), checkers.Invalid, WrongTotal, "total of 27, not 30"},
		{"a missing account", index(read("n0", false, map[int]int{0: 15, 1: 15})),
			checkers.Invalid, NilBalance, "missing accounts [2]"},
		{"an account that does not exist", index(read("n0", false, map[int]int{0: 10, 1: 10, 2: 10, 7: 0})),
			checkers.Invalid, UnexpectedKey, "do not exist: [7]"},
		{"a negative balance", index(read("n0", false, map[int]int{0: -2, 1: 22, 2: 10})),
			checkers.Invalid, NegativeValue, "negative balances in accounts [0]"},
		{"final reads that differ", index(
			read("n0", true, map[int]int{0: 10, 1: 10, 2: 10}), read("n1", true, map[int]int{0: 9, 1: 11, 2: 10}),
		), checkers.Invalid, FinalDiffer, "disagrees with the final read 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := New(opts).Check(tc.h)
			if res.Valid != tc.want || !strings.Contains(res.Summary, tc.words) {
				t.Fatalf("got %s %q, want %s containing %q", res.Valid, res.Summary, tc.want, tc.words)
			}
			if tc.kind != "" {
				ev := res.Evidence.(Evidence)
				if _, ok := ev.First[tc.kind]; !ok {
					t.Fatalf("evidence lacks a %s error: %+v", tc.kind, ev)
				}
			}
		})
	}
}

func TestNegativeBalancesMayBeAllowed(t *testing.T) {
	h := index(read("n0", false, map[int]int{0: -2, 1: 22, 2: 10}))
	if res := New(Options{Accounts: 3, Total: 30, NegativeOK: true}).Check(h); res.Valid != checkers.Valid {
		t.Fatalf("negative balances are allowed: %s", res.Summary)
	}
}

// A history read back from history.jsonl holds generic JSON values; the
// verdict must be the same.
func TestReadsBackFromJSON(t *testing.T) {
	h := index(read("n0", false, map[int]int{0: 10, 1: 10, 2: 10}), read("n1", false, map[int]int{0: 10, 1: 11, 2: 10}))
	var buf bytes.Buffer
	if err := h.WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := history.ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	res := New(Options{Accounts: 3, Total: 30}).Check(back)
	if res.Valid != checkers.Invalid || !strings.Contains(res.Summary, "read 1") {
		t.Fatalf("got %s %q", res.Valid, res.Summary)
	}
}
