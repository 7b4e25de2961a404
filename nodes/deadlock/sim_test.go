package deadlock_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/liveness"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/workloads/bank"
)

func strategy(t testing.TB, name string) nodes.Strategy {
	t.Helper()
	i := slices.IndexFunc(deadlock.Strategies(), func(s nodes.Strategy) bool { return s.Name == name })
	if i < 0 {
		t.Fatalf("no strategy %s", name)
	}
	return deadlock.Strategies()[i]
}

// highContention is the deadlock suite's shape at its high contention
// level, with shorter runs.
func highContention(s nodes.Strategy, seed int64) harness.Config {
	c := harness.Defaults()
	c.Strategy, c.Seed = s, seed
	c.Rate, c.TimeLimit, c.Latency, c.LatencyDist = 100, 20*time.Second, 5*time.Millisecond, "exponential"
	c.OpTimeout, c.NemesisInterval = 2*time.Second, 5*time.Second
	c.Bank, _ = bank.Level("high")
	return c
}

// fataler is what run needs of a test: *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
}

func run(t fataler, c harness.Config) *reports.Results {
	t.Helper()
	out, err := harness.Simulate(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &harness.Check(out).Results
}

func result(t testing.TB, r *reports.Results, checker string) checkers.Result {
	t.Helper()
	for _, c := range r.Checks {
		if c.Checker == checker {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", checker, r.Checks)
	return checkers.Result{}
}

// `ddbbench run --node 2pl-wait`, with no other flags, deadlocks: the
// harness's defaults and the bank's default contention are enough, and the
// liveness checker names a cycle in which each transaction waits for the
// next.
func TestPlainWaitDeadlocksWithTheDefaults(t *testing.T) {
	t.Parallel()
	for seed := int64(1); seed <= 3; seed++ {
		c := harness.Defaults()
		c.Strategy, c.Seed = strategy(t, "2pl-wait"), seed
		c.Latency = 5 * time.Millisecond // `ddbbench run`'s default
		r := run(t, c)
		live := result(t, r, "liveness")
		if r.Valid != checkers.Invalid || live.Valid != checkers.Invalid {
			t.Fatalf("seed %d: want a deadlock, got %s: %s", seed, r.Valid, live.Summary)
		}
		cycle := live.Evidence.(*liveness.Evidence).Cycle
		if len(cycle) < 2 {
			t.Fatalf("seed %d: the evidence has no cycle: %s", seed, live.Summary)
		}
		for i, s := range cycle {
			next := cycle[(i+1)%len(cycle)].Txn
			if !slices.Contains(s.WaitsFor, next) {
				t.Fatalf("seed %d: %s does not wait for %s in the cycle %+v", seed, s.Txn, next, cycle)
			}
		}
	}
}

// Every other policy keeps the bank invariant and lets no transaction wait
// for ever, at high contention with no faults.
func TestPoliciesAreLiveAndKeepTheInvariantWithoutFaults(t *testing.T) {
	for _, name := range []string{"2pl-timeout", "2pl-wait-die", "2pl-wound-wait", "2pl-detect-central", "2pl-detect-edge-chasing"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for seed := int64(1); seed <= 3; seed++ {
				r := run(t, highContention(strategy(t, name), seed))
				if r.Valid != checkers.Valid {
					t.Fatalf("seed %d: %s: %+v", seed, r.Valid, r.Checks)
				}
				if r.Transactions == nil || r.Transactions.Committed < 100 {
					t.Fatalf("seed %d: too few commits to mean anything: %+v", seed, r.Transactions)
				}
			}
		})
	}
}

// Every policy but plain waiting is serializable, by Elle, on Maelstrom's
// txn workloads; strict 2PL is strictly serializable, since a client hears
// of a commit only once every participant has applied it.
func TestPoliciesAreStrictlySerializableByElle(t *testing.T) {
	for _, name := range []string{"2pl-timeout", "2pl-wait-die", "2pl-wound-wait", "2pl-detect-central", "2pl-detect-edge-chasing"} {
		for _, w := range []string{"txn-list-append", "txn-rw-register"} {
			t.Run(name+"/"+w, func(t *testing.T) {
				t.Parallel()
				c := highContention(strategy(t, name), 1)
				c.Workload, c.TimeLimit = w, 10*time.Second
				r := run(t, c)
				elle := result(t, r, "elle")
				if r.Valid != checkers.Valid || elle.Valid != checkers.Valid {
					t.Fatalf("%s: %+v", r.Valid, r.Checks)
				}
				if r.Stats.Total.OK < 500 {
					t.Fatalf("too few transactions: %+v", r.Stats.Total)
				}
			})
		}
	}
}

// Starvation: a transaction keeps its timestamp through its restarts, so it
// ages until nothing is older; and the oldest transaction is never made to
// die, nor wounded (Rosenkrantz, Stearns & Lewis 1978). Together these mean
// the oldest waiting transaction always commits, and so, in turn, does
// every other. The test checks both halves as they happen, and the
// consequence at the end: with no bound on restarts, every transaction
// commits. Messages on a link keep their order here (constant latency), as
// the paper's do: a stale attempt's release then reaches every site before
// its transaction can finish. Timeouts and detectors promise neither half.
func TestTheOldestTransactionIsNeverAbortedAndAllCommit(t *testing.T) {
	policies := map[string]deadlock.Policy{"wait-die": deadlock.WaitDie{}, "wound-wait": deadlock.WoundWait{}}
	rapid.Check(t, func(rt *rapid.T) {
		name := rapid.SampledFrom([]string{"wait-die", "wound-wait"}).Draw(rt, "policy")
		w := &ages{t: rt, txns: map[string]*life{}}
		c := harness.Defaults()
		c.Strategy = nodes.Strategy{Name: name, Workload: "bank", New: func() nodes.Node { return deadlock.NewPatientNode(policies[name], w) }}
		c.Seed = rapid.Int64Range(1, 1<<40).Draw(rt, "seed")
		c.NodeCount = rapid.IntRange(1, 4).Draw(rt, "nodes")
		c.Rate = float64(rapid.IntRange(20, 150).Draw(rt, "rate"))
		c.TimeLimit, c.Latency = 2*time.Second, 5*time.Millisecond
		c.OpTimeout = 10 * time.Minute // clients wait as long as it takes
		c.Bank.Accounts = rapid.IntRange(2, 8).Draw(rt, "accounts")
		c.Bank.KeysPerTxn = rapid.IntRange(2, min(3, c.Bank.Accounts)).Draw(rt, "keys per transfer")
		c.Bank.ReadShare = rapid.Float64Range(0, 1).Draw(rt, "read share")
		r := run(rt, c)
		if out := r.Stats.Total; out.Info > 0 {
			rt.Fatalf("%d transactions never finished: %+v", out.Info, r.Checks)
		}
		if r.Transactions.GaveUp > 0 || w.active() > 0 {
			rt.Fatalf("%d transactions gave up, %d are still active", r.Transactions.GaveUp, w.active())
		}
		if r.Valid != checkers.Valid {
			rt.Fatalf("%s: %+v", r.Valid, r.Checks)
		}
	})
}

// ages watches every coordinator of a run: when each transaction began and
// ended, and with which timestamp.
type ages struct {
	t    *rapid.T
	txns map[string]*life
}

type life struct {
	ts         deadlock.TS
	begin, end float64 // end is 0 while active
}

func (a *ages) Begin(id string, ts deadlock.TS, at float64) { a.txns[id] = &life{ts: ts, begin: at} }
func (a *ages) End(id string, at float64)                   { a.txns[id].end = at }

// Abort checks that the transaction kept its first timestamp and that, when
// the abort took effect, an older transaction was active.
func (a *ages) Abort(id string, ts deadlock.TS, cause string, at float64) {
	if first := a.txns[id].ts; ts != first {
		a.t.Fatalf("%s restarted with timestamp %+v, not its first %+v", id, ts, first)
	}
	for other, l := range a.txns {
		if other != id && l.ts.Before(ts) && l.begin <= at && (l.end == 0 || l.end >= at) {
			return
		}
	}
	a.t.Fatalf("%s, the oldest active transaction at %.6fs, was aborted (%s)", id, at, cause)
}

func (a *ages) active() int {
	n := 0
	for _, l := range a.txns {
		if l.end == 0 {
			n++
		}
	}
	return n
}
