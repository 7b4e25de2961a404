package quorum_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/quorum"
	"github.com/ddbbench/ddbbench/reports"
)

// config is the standard run: five nodes, 30 s at 100 ops/s, 5 ms links,
// faults on a 5 s start/stop schedule. The mix is reads and writes only:
// quorum answers every cas with not-supported (TestCASIsNotSupported), which
// would only dilute the figures.
func config(seed int64, nemesis ...string) harness.Config {
	c := harness.Defaults()
	c.NodeCount, c.TimeLimit, c.Rate, c.Latency = 5, 30*time.Second, 100, 5*time.Millisecond
	c.NemesisInterval, c.Nemesis, c.Seed = 5*time.Second, nemesis, seed
	c.OpTimeout, c.Recovery = 2*time.Second, 2*time.Second
	c.CheckTimeout = time.Minute
	c.Register.CASes = 0
	return c
}

func run(t *testing.T, c harness.Config, s nodes.Strategy) (*harness.Outcome, *reports.Run) {
	t.Helper()
	out, err := harness.SimulateWith(context.Background(), c, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out, harness.Check(out)
}

func during(r reports.Results) string {
	if r.AvailabilityDuringFaults == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *r.AvailabilityDuringFaults)
}

// TestLinearizableUnderEveryFault is the declared expectation: Safe under
// every nemesis, in every seed.
func TestLinearizableUnderEveryFault(t *testing.T) {
	for _, e := range quorum.Expect {
		for seed := int64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/%d", e.Nemesis, seed), func(t *testing.T) {
				t.Parallel()
				if !e.Safe {
					t.Fatalf("quorum declares %s unsafe; this test expects every fault to be safe", e.Nemesis)
				}
				var nem []string
				if e.Nemesis != "none" {
					nem = []string{e.Nemesis}
				}
				out, run := run(t, config(seed, nem...), quorum.Strategy())
				r := run.Results
				if r.Valid != checkers.Valid {
					t.Fatalf("not linearizable under %s: %v %+v", e.Nemesis, r.Valid, r.Checks)
				}
				if e.Nemesis != "none" && len(out.Faults) == 0 {
					t.Fatal("no faults were injected")
				}
				// ABD answers a read or write with success or, without a
				// majority, with an indefinite timeout: never a definite
				// failure.
				for _, op := range out.History {
					if op.Outcome == history.Fail {
						t.Fatalf("definite failure of a %s: %+v", op.F, op.Error)
					}
				}
				t.Logf("%-9s seed %d: availability %.3f (during faults %s), p50 %.1f ms, p99 %.1f ms, %.2f msgs/op (%.2f between servers)",
					e.Nemesis, seed, r.AvailabilityOrZero(), during(r), r.Latency.Overall.P50, r.Latency.Overall.P99, r.Messages.PerOp, r.Messages.ServerPerOp)
			})
		}
	}
}

// TestMinorityIsUnavailable: a node cut off from a majority cannot finish a
// phase, so some operations time out while partitions are active, and
// those are indefinite.
func TestMinorityIsUnavailable(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		out, run := run(t, config(seed, "partition-one"), quorum.Strategy())
		r := run.Results
		if r.AvailabilityDuringFaults == nil || *r.AvailabilityDuringFaults >= 1 {
			t.Fatalf("seed %d: an isolated node should time out while cut off: availability during faults %s", seed, during(r))
		}
		timeouts := 0
		for _, op := range out.History {
			if op.Outcome == history.Info && history.Active(out.Faults, op.Invoke) {
				if op.Error == nil || op.Error.Code != maelstrom.Timeout {
					t.Fatalf("seed %d: an unfinished operation must be an indefinite timeout, got %+v", seed, op.Error)
				}
				timeouts++
			}
		}
		if timeouts == 0 {
			t.Fatalf("seed %d: no operation timed out during the partitions", seed)
		}
		if r.Valid != checkers.Valid {
			t.Fatalf("seed %d: %v", seed, r.Valid)
		}
	}
}

// TestTextbookCost: a read or write is two round trips to all n replicas,
// the coordinator answering itself locally: 4(n−1) = 16 messages between
// servers with five nodes, 18 with the client's request and reply, and
// four message delays (20 ms on 5 ms links).
func TestTextbookCost(t *testing.T) {
	for _, n := range []int{3, 5} {
		c := config(1)
		c.NodeCount = n
		_, run := run(t, c, quorum.Strategy())
		r := run.Results
		want := float64(4 * (n - 1))
		if r.Messages.ServerPerOp < want-0.5 || r.Messages.ServerPerOp > want+0.1 {
			t.Errorf("n=%d: %.2f messages between servers per op, want about 4(n-1) = %v", n, r.Messages.ServerPerOp, want)
		}
		if r.Messages.PerOp < want+1.5 || r.Messages.PerOp > want+2.1 {
			t.Errorf("n=%d: %.2f messages per op, want about 4(n-1)+2 = %v", n, r.Messages.PerOp, want+2)
		}
		for _, f := range []string{"read", "write"} {
			if q := r.Latency.ByF[f]; q.P50 < 19.9 || q.P50 > 20.1 {
				t.Errorf("n=%d: %s latency p50 %.2f ms, want two round trips, 20 ms", n, f, q.P50)
			}
		}
		// From invocation (without waiting for a free client), every
		// operation takes exactly the two round trips.
		if q := r.Latency.ServiceTime; q.P99 > 20.1 || q.P50 < 19.9 {
			t.Errorf("n=%d: service time p50 %.2f ms p99 %.2f ms, want 20 ms", n, q.P50, q.P99)
		}
		t.Logf("n=%d: %.2f msgs/op, %.2f between servers; p50 %.1f ms", n, r.Messages.PerOp, r.Messages.ServerPerOp, r.Latency.Overall.P50)
	}
}

// TestCASIsNotSupported: with the full lin-kv mix, every cas fails
// definitely with not-supported and the history stays linearizable.
func TestCASIsNotSupported(t *testing.T) {
	c := config(2)
	c.Register = harness.Defaults().Register
	c.TimeLimit = 10 * time.Second
	// The catalog's strategy says NoCAS, which leaves cas out of runs;
	// here we want to see it refused.
	s := quorum.Strategy()
	s.NoCAS = false
	out, run := run(t, c, s)
	cas := 0
	for _, op := range out.History {
		if op.F != "cas" {
			continue
		}
		cas++
		if op.Outcome != history.Fail || op.Error == nil || op.Error.Code != maelstrom.NotSupported {
			t.Fatalf("cas must fail with not-supported, got %v %+v", op.Outcome, op.Error)
		}
	}
	if cas == 0 {
		t.Fatal("the mix produced no cas")
	}
	// Linearizable, but invalid as Maelstrom judges it: an operation type
	// (cas) that never succeeds fails the run. That is why the catalog's
	// NoCAS leaves cas out.
	for _, c := range run.Results.Checks {
		want := map[string]checkers.Validity{"linearizable": checkers.Valid, "stats": checkers.Invalid}[c.Checker]
		if want != "" && c.Valid != want {
			t.Errorf("%s: %v (%s), want %v", c.Checker, c.Valid, c.Summary, want)
		}
	}
	if run.Results.Valid != checkers.Invalid {
		t.Fatalf("%v, want invalid: cas never succeeded", run.Results.Valid)
	}
}

// lossy is where a write's propagate phase is often stuck at a minority:
// 30% of server messages are lost, so a replica's copy of a write in
// progress waits a retransmission (100 ms) while reads run against other
// majorities; two keys make reads of the key being written common (over
// seeds 1 to 10, clients spread over ten keys catch it twice, over two keys
// every time).
func lossy(seed int64) harness.Config {
	c := config(seed)
	c.Loss = 0.3
	c.Register.Keys = 2
	return c
}

// TestWithoutWriteBackIsCaught proves these tests can fail: without the
// read's write-back, a read can return a write that is still at a minority
// and a later read, querying another majority, the value before it.
// The same runs with the write-back are linearizable.
func TestWithoutWriteBackIsCaught(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		_, broken := run(t, lossy(seed), quorum.WithoutWriteBack())
		if broken.Results.Valid != checkers.Invalid {
			t.Errorf("seed %d: reads without write-back must be caught, got %v", seed, broken.Results.Valid)
		}
		if _, ok := broken.Files["linearizability.html"]; !ok {
			t.Errorf("seed %d: a violation comes with Porcupine's visualization", seed)
		}
		_, fixed := run(t, lossy(seed), quorum.Strategy())
		if fixed.Results.Valid != checkers.Valid {
			t.Errorf("seed %d: with the write-back the same run must be linearizable, got %v", seed, fixed.Results.Valid)
		}
	}
}
