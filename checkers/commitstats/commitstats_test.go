package commitstats

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
)

const ms = int64(time.Millisecond)

func ev(at int64, node, txn, state, cause string) history.CommitEvent {
	return history.CommitEvent{Time: at, Node: node, Txn: txn, State: state, Cause: cause}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// One committed attempt: started at 0, decided at 20 ms, applied at n1 at
// 30 ms and n2 at 40 ms, with 10 ms a message: 2 and 4 delays.
func TestLatencyAndCosts(t *testing.T) {
	events := []history.CommitEvent{
		ev(0, "n0", "T1", history.TxnCommitting, ""),
		ev(10*ms, "n1", "T1", history.TxnPrepared, ""),
		ev(10*ms, "n2", "T1", history.TxnPrepared, ""),
		ev(20*ms, "n0", "T1", history.TxnCommit, ""),
		ev(30*ms, "n1", "T1", history.TxnCommitted, ""),
		ev(40*ms, "n2", "T1", history.TxnCommitted, ""),
		ev(50*ms, "n0", "T2", history.TxnAbort, "wounded"),
		ev(60*ms, "n3", "T3", history.TxnAbort, "vote-no"),
		ev(70*ms, "n3", "T4", history.TxnAbort, "wounded"),
	}
	s := Compute(events, Options{End: 100 * ms, Latency: 10 * time.Millisecond, ProtocolMessages: 8, ForcedWrites: 5})
	if s.Committed != 1 || s.Aborted != 3 || !near(s.AbortRate, 0.75) || !reflect.DeepEqual(s.Aborts, map[string]int{"wounded": 2, "vote-no": 1}) {
		t.Fatalf("counts: %+v", s)
	}
	if !near(s.DecideMs, 20) || !near(s.LearnMs, 40) || !near(s.DecideDelays, 2) || !near(s.LearnDelays, 4) {
		t.Fatalf("latency: decide %v ms (%v delays), learn %v ms (%v delays)", s.DecideMs, s.DecideDelays, s.LearnMs, s.LearnDelays)
	}
	if !near(s.WritersPerCommit, 2) || !near(s.MessagesPerCommit, 8) || !near(s.ForcedWritesPerCommit, 5) {
		t.Fatalf("costs: %+v", s)
	}
	// In doubt: n1 20 ms, n2 30 ms; never blocked.
	if !near(s.InDoubt.Before, 0.05) || s.Blocked.Total() != 0 || s.BlockedTxns != 0 {
		t.Fatalf("blocking: in doubt %+v, blocked %+v", s.InDoubt, s.Blocked)
	}
}

// Blocked time is split over the fault phases exactly; a participant
// still blocked at the end counts until the end, and in the at-end
// counts; a recovery's repeated reports do not restart a wait.
func TestBlockingPerPhase(t *testing.T) {
	faults := []history.Fault{{Kind: "kill", Start: 1000 * ms, End: 2000 * ms}, {Kind: "partition", Start: 1500 * ms, End: 2500 * ms}}
	events := []history.CommitEvent{
		// n1: in doubt from 0.5 s, blocked 1.2-3 s.
		ev(500*ms, "n1", "T1", history.TxnPrepared, ""),
		ev(1200*ms, "n1", "T1", history.TxnBlocked, ""),
		ev(1300*ms, "n1", "T1", history.TxnPrepared, ""), // reported again after a restart
		ev(3000*ms, "n1", "T1", history.TxnAborted, ""),
		// n2: blocked from 0.8 s to the end (4 s).
		ev(800*ms, "n2", "T2", history.TxnPrepared, ""),
		ev(800*ms, "n2", "T2", history.TxnBlocked, ""),
	}
	s := Compute(events, Options{Faults: faults, End: 4000 * ms})
	// The faults cover 1-2.5 s. n1 blocked 1.2-3: during 1.3, after 0.5.
	// n2 blocked 0.8-4: before 0.2, during 1.5, after 1.5.
	want := Phases{Before: 0.2, During: 2.8, After: 2.0}
	if !near(s.Blocked.Before, want.Before) || !near(s.Blocked.During, want.During) || !near(s.Blocked.After, want.After) {
		t.Fatalf("blocked %+v, want %+v", s.Blocked, want)
	}
	if !near(s.InDoubt.Total(), 2.5+3.2) || !near(s.BlockedMaxS, 3.2) || s.BlockedTxns != 2 || s.BlockedAtEnd != 1 || s.InDoubtAtEnd != 1 {
		t.Fatalf("%+v", s)
	}
}
