package agreement

import (
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

func ev(ms int64, node, txn, state string) history.CommitEvent {
	return history.CommitEvent{Time: ms * 1e6, Node: node, Txn: txn, State: state}
}

func TestAgreement(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events []history.CommitEvent
		want   checkers.Validity
		words  string
	}{
		{"every node decides the same", []history.CommitEvent{
			ev(1, "n0", "T1", history.TxnCommitting), ev(2, "n1", "T1", history.TxnPrepared), ev(3, "n0", "T1", history.TxnCommit), ev(4, "n1", "T1", history.TxnCommitted),
			ev(5, "n0", "T2", history.TxnAbort), ev(6, "n2", "T2", history.TxnAborted),
		}, checkers.Valid, "over 2 attempts"},
		{"a saga's step committed, then compensated: the last decision counts", []history.CommitEvent{
			ev(1, "n1", "S1", history.TxnCommitted), ev(2, "n2", "S1", history.TxnAborted), ev(3, "n1", "S1", history.TxnAborted), ev(4, "n0", "S1", history.TxnAbort),
		}, checkers.Valid, "decided the same"},
		{"undecided reports are no decision", []history.CommitEvent{
			ev(1, "n1", "T1", history.TxnPrepared), ev(2, "n1", "T1", history.TxnBlocked),
		}, checkers.Valid, "over 0 attempts"},
		{"one side commits, the other aborts", []history.CommitEvent{
			ev(1000, "n0", "T1", history.TxnCommit), ev(1002, "n3", "T1", history.TxnAborted), ev(1001, "n1", "T1", history.TxnCommitted), ev(1003, "n4", "T1", history.TxnAborted),
			ev(1004, "n0", "T2", history.TxnCommit), ev(1005, "n1", "T2", history.TxnCommitted),
		}, checkers.Invalid, "T1 committed at n0 at 1.000s, n1 at 1.001s but aborted at n3 at 1.002s, n4 at 1.003s"},
		{"a coordinator's abort against a participant's commit", []history.CommitEvent{
			ev(1, "n0", "T1", history.TxnAbort), ev(2, "n2", "T1", history.TxnCommitted),
		}, checkers.Invalid, "1 attempts decided both ways"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(tc.events).Check(nil)
			if r.Valid != tc.want || !strings.Contains(r.Summary, tc.words) {
				t.Fatalf("got %s %q, want %s containing %q", r.Valid, r.Summary, tc.want, tc.words)
			}
			if tc.want == checkers.Invalid {
				s := r.Evidence.(*Evidence).Splits[0]
				if len(s.Committed) == 0 || len(s.Aborted) == 0 {
					t.Fatalf("the evidence lacks a side: %+v", s)
				}
			}
		})
	}
}
