package raft

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/reports"
)

// runConfig is the brief's standard run: five nodes, 30 s at 100 ops/s,
// 5 ms between servers, a fault every 5 s.
func runConfig(nemesis string, seed int64) harness.Config {
	c := harness.Defaults()
	c.NodeCount, c.TimeLimit, c.Rate, c.Latency, c.Seed = 5, 30*time.Second, 100, 5*time.Millisecond, seed
	c.NemesisInterval = 5 * time.Second
	if nemesis != "none" {
		c.Nemesis = strings.Split(nemesis, "+") // "kill+partition": both
	}
	return c
}

func simulate(t *testing.T, c harness.Config, s nodes.Strategy) *reports.Run {
	t.Helper()
	out, err := harness.SimulateWith(context.Background(), c, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return harness.Check(out)
}

func describe(r *reports.Results) string {
	q := r.Latency.Overall
	during := "-"
	if r.AvailabilityDuringFaults != nil {
		during = fmt.Sprintf("%.4f", *r.AvailabilityDuringFaults)
	}
	return fmt.Sprintf("valid %v, availability %.4f (during faults %s), p50 %.1f ms, p99 %.1f ms, %.2f msgs/op (%.2f between servers), %d ops",
		r.Valid, r.AvailabilityOrZero(), during, q.P50, q.P99, r.Messages.PerOp, r.Messages.ServerPerOp, r.Messages.Operations)
}

// failWith reports an invalid or unknown run with the evidence and the
// leader changes from the node logs.
func failWith(t *testing.T, run *reports.Run, what string) {
	t.Helper()
	var b strings.Builder
	for _, c := range run.Results.Checks {
		fmt.Fprintf(&b, "  %s: %v %s\n", c.Checker, c.Valid, c.Summary)
	}
	t.Fatalf("%s: %s\n%s", what, describe(&run.Results), b.String())
}

// TestValidUnderFaults runs every fault kind over three seeds: Raft must
// stay linearizable under all of them (Expect).
func TestValidUnderFaults(t *testing.T) {
	for _, nem := range []string{"none", "partition", "kill", "pause", "packet", "clock"} {
		for seed := int64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", nem, seed), func(t *testing.T) {
				t.Parallel()
				run := simulate(t, runConfig(nem, seed), Strategy())
				r := &run.Results
				t.Log(describe(r))
				if r.Valid != checkers.Valid {
					failWith(t, run, nem)
				}
				switch nem {
				case "none":
					if r.AvailabilityOrZero() <= 0.99 {
						t.Errorf("availability %.4f without faults, want > 0.99", r.AvailabilityOrZero())
					}
				case "partition":
					if r.AvailabilityOrZero() >= 1 {
						t.Errorf("availability %.4f under partitions, want < 1", r.AvailabilityOrZero())
					}
				}
				if nem != "none" && len(r.Faults) == 0 {
					t.Errorf("no %s faults were injected", nem)
				}
			})
		}
	}
}

// TestSoak runs every fault kind over many seeds: RAFT_SOAK=<seeds>
// (e.g. 50; each run takes ~0.3 s of CPU).
func TestSoak(t *testing.T) {
	seeds, _ := strconv.Atoi(os.Getenv("RAFT_SOAK"))
	if seeds <= 0 {
		t.Skip("set RAFT_SOAK=<seeds> to soak")
	}
	for _, nem := range []string{"none", "partition", "kill", "pause", "packet", "clock", "partition-leader", "kill-leader", "pause-leader", "partition+kill+pause+packet+clock"} {
		for seed := int64(100); seed < int64(100+seeds); seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", nem, seed), func(t *testing.T) {
				t.Parallel()
				c := runConfig(nem, seed)
				c.LoseUnsynced = seed%2 == 0
				if run := simulate(t, c, Strategy()); run.Results.Valid != checkers.Valid {
					failWith(t, run, nem)
				}
			})
		}
	}
}

// TestValidUnderLeaderFaults aims partitions, kills and pauses at the
// leader, which is where Raft's subtle cases (deposed leaders, pending
// commands) are, and kills machines that lose unsynced writes.
func TestValidUnderLeaderFaults(t *testing.T) {
	for _, nem := range []string{"partition-leader", "kill-leader", "pause-leader", "kill/lose-unsynced"} {
		t.Run(nem, func(t *testing.T) {
			t.Parallel()
			c := runConfig(nem, 1)
			if nem == "kill/lose-unsynced" {
				c = runConfig("kill", 1)
				c.LoseUnsynced = true
			}
			run := simulate(t, c, Strategy())
			t.Log(describe(&run.Results))
			if run.Results.Valid != checkers.Valid {
				failWith(t, run, nem)
			}
		})
	}
}

// localReadsStrategy is the unsafe variant: reads served by whoever thinks
// it is leader, without ReadIndex.
func localReadsStrategy() nodes.Strategy {
	s := Strategy()
	s.Name = "raft-local-reads"
	s.New = func() nodes.Node { return &Node{sm: newRegister(), localReads: true} }
	return s
}

// TestLocalReadsAreCaught proves the tests can fail: a leader that answers
// reads without confirming its leadership serves stale reads once deposed
// (between a new leader's first commit and the old one's quorum check), and
// the harness must see it under partitions within a few seeds. Without
// faults the same variant passes: it is the fault that exposes it.
func TestLocalReadsAreCaught(t *testing.T) {
	if run := simulate(t, runConfig("none", 1), localReadsStrategy()); run.Results.Valid != checkers.Valid {
		failWith(t, run, "local reads without faults")
	}
	for seed := int64(1); seed <= 5; seed++ {
		run := simulate(t, runConfig("partition", seed), localReadsStrategy())
		t.Logf("seed %d: %s", seed, describe(&run.Results))
		if run.Results.Valid == checkers.Invalid {
			return
		}
	}
	t.Fatal("stale reads from a deposed leader were not caught in 5 seeds")
}

// TestNoFaultCost checks a fault-free run against what Raft should cost.
// Client links have no latency, so a command sent to the leader costs one
// AppendEntries round trip (2 × 5 ms) and one sent to a follower adds the
// forward's round trip (4 × 5 ms); four of five clients talk to followers.
// Between servers: 4 AppendEntries and 4 replies per operation (a ReadIndex
// round for a read, replication for a command), plus a forward and its reply
// for 4/5 of them: 9.6, plus the few heartbeats not suppressed by traffic.
func TestNoFaultCost(t *testing.T) {
	// Spread over many keys: the protocol's cost, not queueing behind one
	// hot key.
	c := runConfig("none", 1)
	c.Register.Keys, c.Register.PerKeyLimit = 10, 0
	run := simulate(t, c, Strategy())
	r := &run.Results
	t.Log(describe(r))
	if r.Valid != checkers.Valid {
		failWith(t, run, "none")
	}
	q := r.Latency.Overall
	if q.P50 < 19.9 || q.P50 > 20.1 || q.P99 > 25 {
		t.Errorf("latency p50 %.2f ms, p99 %.2f ms; want p50 = 20 ms (4 message delays) and p99 close to it", q.P50, q.P99)
	}
	if r.Messages.ServerPerOp < 9.6 || r.Messages.ServerPerOp > 11 {
		t.Errorf("%.2f server messages per operation, want 9.6 to 11", r.Messages.ServerPerOp)
	}
}

// TestFigures prints the measured figures for every fault kind, averaged
// over seeds 1-5 (RAFT_FIGURES=1; it takes a few seconds more).
func TestFigures(t *testing.T) {
	if os.Getenv("RAFT_FIGURES") == "" {
		t.Skip("set RAFT_FIGURES=1 to print the figures table")
	}
	const seeds = 5
	t.Log("| nemesis | valid | availability | during faults | p50 ms | p99 ms | msgs/op | server msgs/op |")
	for _, nem := range []string{"none", "partition", "kill", "pause", "packet", "clock", "partition-leader", "kill-leader", "pause-leader"} {
		var avail, during, p50, p99, per, serverPer float64
		valid, faulted := 0, false
		for seed := int64(1); seed <= seeds; seed++ {
			r := simulate(t, runConfig(nem, seed), Strategy()).Results
			if r.Valid == checkers.Valid {
				valid++
			}
			avail += r.AvailabilityOrZero() / seeds
			if r.AvailabilityDuringFaults != nil {
				during += *r.AvailabilityDuringFaults / seeds
				faulted = true
			}
			p50 += r.Latency.Overall.P50 / seeds
			p99 += r.Latency.Overall.P99 / seeds
			per += r.Messages.PerOp / seeds
			serverPer += r.Messages.ServerPerOp / seeds
		}
		duringText := "-"
		if faulted {
			duringText = fmt.Sprintf("%.4f", during)
		}
		t.Logf("| %s | %d/%d | %.4f | %s | %.1f | %.1f | %.2f | %.2f |", nem, valid, seeds, avail, duringText, p50, p99, per, serverPer)
	}
}
