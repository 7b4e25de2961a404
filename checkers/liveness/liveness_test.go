package liveness

import (
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

const s = int64(time.Second)

func wait(at int64, node, txn string, holders ...string) history.Wait {
	return history.Wait{Time: at, Node: node, Txn: txn, Holders: holders}
}

func TestLiveness(t *testing.T) {
	for _, tc := range []struct {
		name   string
		waits  []history.Wait
		faults []history.Fault
		end    int64
		want   checkers.Validity
		words  string
		cycle  []string
	}{
		{"waits that end", []history.Wait{
			wait(1*s, "n0", "A", "B"), wait(2*s, "n1", "B", "C"), wait(3*s, "n1", "B"), wait(4*s, "n0", "A"),
		}, nil, 30 * s, checkers.Valid, "4 wait reports", nil},
		{"a deadlock", []history.Wait{
			wait(1*s, "n0", "A", "B"), wait(2*s, "n1", "B", "A"), wait(3*s, "n2", "C", "A"),
		}, nil, 30 * s, checkers.Invalid, "deadlock since 2.000s: A (at n0) waits for B (at n1) waits for A; 3 transactions stuck", []string{"A", "B"}},
		{"waits with no cycle, for ever", []history.Wait{wait(1*s, "n0", "A", "B")}, nil, 30 * s,
			checkers.Invalid, "in no cycle: A has waited at n0 since 1.000s for B", nil},
		{"a crash ends the waits at its node", []history.Wait{
			wait(1*s, "n1", "A", "B"), wait(2*s, "n1", "B", "A"), wait(3*s, "n1", "A"), wait(3*s, "n1", "B"),
		}, nil, 30 * s, checkers.Valid, "", nil},
		{"a wait the faults excuse", []history.Wait{wait(1*s, "n0", "A", "B")},
			[]history.Fault{{Kind: "partition", Start: 0, End: 27 * s}}, 30 * s, checkers.Valid, "", nil},
		{"a wait that outlasts the faults by the bound", []history.Wait{wait(1*s, "n0", "A", "B")},
			[]history.Fault{{Kind: "partition", Start: 0, End: 20 * s}}, 30 * s, checkers.Invalid, "A has waited", nil},
		{"a cycle too young to judge", []history.Wait{wait(27*s, "n0", "A", "B"), wait(28*s, "n1", "B", "A")}, nil, 30 * s,
			checkers.Unknown, "too late to tell", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := New(Options{Waits: tc.waits, Reported: true, Faults: tc.faults, End: tc.end, Bound: 5 * time.Second}).Check(nil)
			if res.Valid != tc.want || !strings.Contains(res.Summary, tc.words) {
				t.Fatalf("got %s %q, want %s containing %q", res.Valid, res.Summary, tc.want, tc.words)
			}
			ev := res.Evidence.(*Evidence)
			var got []string
			for _, c := range ev.Cycle {
				got = append(got, c.Txn)
			}
			if strings.Join(got, " ") != strings.Join(tc.cycle, " ") {
				t.Fatalf("cycle %v, want %v", got, tc.cycle)
			}
			if tc.want == checkers.Invalid && ev.StuckCount == 0 {
				t.Fatal("an invalid verdict lists the stuck transactions")
			}
		})
	}
}

// Without reports (node processes), only the history speaks: timeouts with
// no fault active may be deadlocks, so the verdict is unknown, never valid.
func TestWithoutReportsTheHistoryDecides(t *testing.T) {
	faults := []history.Fault{{Kind: "partition", Start: 10 * s, End: 20 * s}}
	during := &history.Op{F: "transfer", Outcome: history.Info, Invoke: 12 * s}
	quiet := &history.Op{F: "transfer", Outcome: history.Info, Invoke: 25 * s}
	ok := &history.Op{F: "read", Outcome: history.OK, Invoke: 1 * s}
	c := New(Options{Faults: faults, End: 40 * s, Bound: 5 * time.Second})
	if res := c.Check(history.History{ok, during}); res.Valid != checkers.Valid {
		t.Fatalf("a timeout during a fault is the fault's: %s %s", res.Valid, res.Summary)
	}
	if res := c.Check(history.History{ok, during, quiet}); res.Valid != checkers.Unknown || !strings.Contains(res.Summary, "1 transactions timed out") {
		t.Fatalf("a timeout with no fault may be a deadlock: %s %s", res.Valid, res.Summary)
	}
}
