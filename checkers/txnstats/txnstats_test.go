package txnstats

import (
	"maps"
	"math"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
)

const ms = int64(time.Millisecond)

func op(outcome history.Outcome, code int, aborts ...txn.Abort) *history.Op {
	o := &history.Op{F: "transfer", Outcome: outcome, Result: aborts, Intended: 0, Invoke: 0, Complete: 10 * ms}
	if code != 0 {
		o.Error = &history.Error{Code: code}
	}
	return o
}

func abortsOf(o *history.Op) []txn.Abort { a, _ := o.Result.([]txn.Abort); return a }

func TestCounts(t *testing.T) {
	h := history.History{
		op(history.OK, 0),
		op(history.OK, 0, txn.Abort{Attempt: "T2#1", Cause: txn.Died}, txn.Abort{Attempt: "T2#2", Cause: txn.Died}),
		op(history.Fail, maelstrom.TxnConflict, txn.Abort{Attempt: "T3#1", Cause: txn.Wounded}, txn.Abort{Attempt: "T3#2", Cause: txn.TimedOut}),
		op(history.Fail, maelstrom.PreconditionFailed),
		op(history.Info, 0),
	}
	s := Compute(h, Options{Aborts: abortsOf, Messages: 60, Main: 2 * time.Second})
	if s.Transactions != 5 || s.Committed != 2 || s.GaveUp != 1 || s.Refused != 1 || s.Indefinite != 1 {
		t.Fatalf("counts: %+v", s)
	}
	// Attempts: 1, 3, 2 (both aborted), 1.
	if s.Attempts != 7 {
		t.Fatalf("attempts %d, want 7", s.Attempts)
	}
	if want := map[string]int{txn.Died: 2, txn.Wounded: 1, txn.TimedOut: 1}; !maps.Equal(s.Aborts, want) {
		t.Fatalf("aborts %v, want %v", s.Aborts, want)
	}
	if s.AbortRate != 4.0/7 || s.RestartsPerCommit != 1 || s.MessagesPerCommit != 30 {
		t.Fatalf("abort rate %v, restarts/commit %v, messages/commit %v", s.AbortRate, s.RestartsPerCommit, s.MessagesPerCommit)
	}
	if s.CommittedPerS != 1 || s.AbortedPerS != 2 {
		t.Fatalf("per second: committed %v, aborted %v", s.CommittedPerS, s.AbortedPerS)
	}
	if s.Commit.Count != 2 || math.Abs(s.Commit.P50-10) > 0.01 {
		t.Fatalf("commit latency over the committed only: %+v", s.Commit)
	}
}

// A victim is a phantom when, just before its abort, it was on no cycle of
// the true wait-for graph among the transactions not yet aborted.
func TestPhantoms(t *testing.T) {
	at := func(ms int64) float64 { return time.Duration(ms * int64(time.Millisecond)).Seconds() }
	w := func(t int64, node, x string, holders ...string) history.Wait {
		return history.Wait{Time: t * ms, Node: node, Txn: x, Holders: holders}
	}
	waits := []history.Wait{
		// A and B deadlock at 10 ms; B is chosen at 20 ms.
		w(5, "n0", "A", "B"), w(10, "n1", "B", "A"),
		w(20, "n1", "B"), // B's release, at the instant of its abort
		// C waited for D, which finished at 40 ms; C is chosen at 50 ms
		// from stale edges.
		w(30, "n2", "C", "D"), w(40, "n2", "C"),
		// E, F, G deadlock; E is aborted at 70 ms, then G at 80 ms for
		// the same cycle, which E's abort had already broken.
		w(60, "n0", "E", "F"), w(61, "n1", "F", "G"), w(62, "n2", "G", "E"),
	}
	h := history.History{
		op(history.OK, 0, txn.Abort{Attempt: "B", Cause: txn.Victim, At: at(20)}),
		op(history.OK, 0, txn.Abort{Attempt: "C", Cause: txn.Victim, At: at(50)}),
		op(history.OK, 0, txn.Abort{Attempt: "E", Cause: txn.Victim, At: at(70)}),
		op(history.OK, 0, txn.Abort{Attempt: "G", Cause: txn.Victim, At: at(80)}),
		op(history.OK, 0, txn.Abort{Attempt: "H", Cause: txn.Died, At: at(90)}),
	}
	s := Compute(h, Options{Aborts: abortsOf, Waits: waits})
	if want := map[string]int{txn.Victim: 2, txn.Phantom: 2, txn.Died: 1}; !maps.Equal(s.Aborts, want) {
		t.Fatalf("aborts %v, want %v", s.Aborts, want)
	}
}
