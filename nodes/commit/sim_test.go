package commit_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/agreement"
	"github.com/ddbbench/ddbbench/checkers/atomicity"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/commit"
	"github.com/ddbbench/ddbbench/reports"
)

func strategy(t testing.TB, name string) nodes.Strategy {
	t.Helper()
	i := slices.IndexFunc(commit.Strategies(), func(s nodes.Strategy) bool { return s.Name == name })
	if i < 0 {
		t.Fatalf("no strategy %s", name)
	}
	return commit.Strategies()[i]
}

// config is the commit suite's run: five nodes, 30 s at 50 transactions a
// second, exponential latency with a 5 ms mean, a fault every 5 s.
func config(s nodes.Strategy, nemesis string, seed int64) harness.Config {
	c := harness.Defaults()
	c.Strategy, c.Seed = s, seed
	c.Rate, c.TimeLimit, c.Latency, c.LatencyDist = 50, 30*time.Second, 5*time.Millisecond, "exponential"
	c.OpTimeout, c.NemesisInterval = 2*time.Second, 5*time.Second
	if nemesis != "none" {
		c.Nemesis = []string{nemesis}
	}
	return c
}

func run(t *testing.T, c harness.Config) *reports.Results {
	t.Helper()
	out, err := harness.Simulate(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Nemesis != nil && len(out.Faults) == 0 {
		t.Fatalf("%v: no fault was injected", c.Nemesis)
	}
	return &harness.Check(out).Results
}

func check(t *testing.T, r *reports.Results, name string) checkers.Result {
	t.Helper()
	for _, c := range r.Checks {
		if c.Checker == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, r.Checks)
	return checkers.Result{}
}

func describe(r *reports.Results) string {
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString("\n  " + c.Checker + ": " + string(c.Valid) + " " + c.Summary)
	}
	return b.String()
}

// Every strategy does under every nemesis what its literature says, as
// the suite judges it: a safe cell valid in both seeds the suite runs, an
// unsafe one caught within a few seeds.
func TestExpectations(t *testing.T) {
	for _, s := range commit.Strategies() {
		for _, e := range s.Expect {
			t.Run(s.Name+"/"+e.Nemesis, func(t *testing.T) {
				t.Parallel()
				seeds := int64(2)
				if !e.Safe {
					seeds = 10
				}
				for seed := int64(1); seed <= seeds; seed++ {
					r := run(t, config(s, e.Nemesis, seed))
					if e.Safe && r.Valid != checkers.Valid {
						t.Fatalf("expected safe (%s), but seed %d is %s:%s", e.Reason, seed, r.Valid, describe(r))
					}
					if !e.Safe && r.Valid == checkers.Invalid {
						return
					}
				}
				if !e.Safe {
					t.Fatalf("expected unsafe (%s), but no seed of %d was caught", e.Reason, seeds)
				}
			})
		}
	}
}

// `ddbbench run --node 2pc` with no other flags runs the strategy's
// workload, txn-list-append, checked at strict serializability (and for
// atomicity and agreement), and passes.
func TestTheDefaultRun(t *testing.T) {
	for _, name := range []string{"2pc", "paxos-commit"} {
		c := harness.Defaults()
		c.Strategy, c.Seed = strategy(t, name), 1
		c.Latency = 5 * time.Millisecond // `ddbbench run`'s default
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.Workload != "txn-list-append" || !slices.Equal(c.Txn.Models, []string{"strict-serializable"}) {
			t.Fatalf("%s runs %s checked for %v", name, c.Workload, c.Txn.Models)
		}
		r := run(t, c)
		for _, want := range []string{"elle", "atomicity", "agreement"} {
			if check(t, r, want).Valid != checkers.Valid {
				t.Fatalf("%s: %s", name, describe(r))
			}
		}
		if r.Valid != checkers.Valid || r.Commit == nil || r.Commit.Committed < 200 {
			t.Fatalf("%s: %s, %+v%s", name, r.Valid, r.Commit, describe(r))
		}
	}
}

// Two-phase commit and Paxos Commit stay atomic and serializable on the
// other workloads too: the bank's total never changes, and Elle finds
// nothing in read-write registers, under crashes and partitions.
func TestSafeOnEveryWorkload(t *testing.T) {
	for _, name := range []string{"2pc", "paxos-commit"} {
		for _, w := range []string{"bank", "txn-rw-register"} {
			for _, nem := range []string{"kill", "partition"} {
				t.Run(name+"/"+w+"/"+nem, func(t *testing.T) {
					t.Parallel()
					c := config(strategy(t, name), nem, 1)
					c.Workload = w
					if r := run(t, c); r.Valid != checkers.Valid {
						t.Fatalf("%s%s", r.Valid, describe(r))
					}
				})
			}
		}
	}
}

// Two-phase commit blocks when its coordinator dies between the votes and
// the decision: its participants stay in doubt, locks held, with nobody
// to ask, until it recovers. Paxos Commit does not block when a minority
// of acceptors dies, the coordinator among them: its participants learn
// the votes from the others. Neither leaves anything blocked at the end.
func TestBlockingUnderCoordinatorKills(t *testing.T) {
	for _, seed := range []int64{1, 2} {
		r := run(t, config(strategy(t, "2pc"), "kill-coordinator", seed))
		b := r.Commit
		if b.Blocked.During == 0 || b.BlockedTxns == 0 || b.BlockedMaxS < 1 {
			t.Errorf("2pc, seed %d: no blocking under kill-coordinator: %+v", seed, b)
		}
		if b.BlockedAtEnd != 0 || b.InDoubtAtEnd != 0 {
			t.Errorf("2pc, seed %d: %d blocked, %d in doubt at the end", seed, b.BlockedAtEnd, b.InDoubtAtEnd)
		}
		for _, nem := range []string{"kill-coordinator", "kill-minority", "kill-one"} {
			r := run(t, config(strategy(t, "paxos-commit"), nem, seed))
			b := r.Commit
			if b.Blocked.Total() != 0 || b.BlockedTxns != 0 || b.InDoubtAtEnd != 0 {
				t.Errorf("paxos-commit under %s, seed %d: blocked %.1fs over %d attempts, %d in doubt at the end", nem, seed, b.Blocked.Total(), b.BlockedTxns, b.InDoubtAtEnd)
			}
			if r.Valid != checkers.Valid {
				t.Errorf("paxos-commit under %s, seed %d: %s%s", nem, seed, r.Valid, describe(r))
			}
		}
	}
}

// Three-phase commit under a partition decides both ways: the evidence
// names the attempt, the nodes that committed it and those that aborted
// it.
func TestThreePCDecidesBothWaysUnderAPartition(t *testing.T) {
	for seed := int64(1); seed <= 10; seed++ {
		r := run(t, config(strategy(t, "3pc"), "partition", seed))
		a := check(t, r, "agreement")
		if a.Valid != checkers.Invalid {
			continue
		}
		split := a.Evidence.(*agreement.Evidence).Splits[0]
		if split.Txn == "" || len(split.Committed) == 0 || len(split.Aborted) == 0 {
			t.Fatalf("seed %d: the evidence does not name the two sides: %+v", seed, split)
		}
		if !strings.Contains(a.Summary, split.Txn) || !strings.Contains(a.Summary, split.Committed[0].Node) || !strings.Contains(a.Summary, split.Aborted[0].Node) {
			t.Fatalf("seed %d: the summary does not name them: %s", seed, a.Summary)
		}
		return
	}
	t.Fatal("no seed of 10 caught three-phase commit deciding both ways")
}

// The negative control is caught under crashes by the atomicity checker:
// a transaction applied at some participants and not at others.
func TestNoCommitIsNotAtomicUnderKill(t *testing.T) {
	for seed := int64(1); seed <= 10; seed++ {
		r := run(t, config(strategy(t, "no-commit"), "kill", seed))
		a := check(t, r, "atomicity")
		if a.Valid != checkers.Invalid {
			continue
		}
		ev := a.Evidence.(*atomicity.Evidence)
		if ev.Count == 0 || len(ev.Violations) == 0 {
			t.Fatalf("seed %d: invalid without violations: %s", seed, a.Summary)
		}
		return
	}
	t.Fatal("no seed of 10 caught no-commit under kill")
}

// Sagas give up isolation: without any fault, Elle finds that they are not
// even read committed (circular information flow between sagas, G1c, or
// write cycles, G0), though every saga is all-or-nothing in the end.
func TestSagasAreNotReadCommitted(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		c := config(strategy(t, "saga"), "none", seed)
		c.Txn.Models = []string{"read-committed"}
		r := run(t, c)
		if check(t, r, "atomicity").Valid != checkers.Valid {
			t.Fatalf("seed %d: a saga is not all-or-nothing:%s", seed, describe(r))
		}
		e := check(t, r, "elle")
		if e.Valid == checkers.Invalid && (strings.Contains(e.Summary, "G1c") || strings.Contains(e.Summary, "G0")) {
			return
		}
	}
	t.Fatal("no seed of 3 caught sagas below read committed")
}
