package lock

import (
	"math"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/latency"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

func TestStatsFigures(t *testing.T) {
	g1 := grant("c1", "l0", "a1", 0, 10, 1, 0)
	g1.Result = maelstrom.AcquireOKBody{Token: 1, GrantedBy: "n0"}
	// a2 is refused twice (the retries keep its arrival as their intended
	// start), then granted by n3; its latency counts from the arrival.
	r1, r2 := refused("c2", "l1", "a2", 0, 5), refused("c2", "l1", "a2", 20, 25)
	g2 := grant("c2", "l1", "a2", 40, 50, 2, 0)
	r2.Intended, g2.Intended = 0, 0
	g2.Result = maelstrom.AcquireOKBody{Token: 2, GrantedBy: "n3"}
	h := hist(
		g1, rd("c1", "l0", "a1", 1, 0, 1, 10), wr("c1", "l0", "a1", 1, 1, 2, 15), release("c1", "l0", "a1", 1, 30, 31),
		r1, r2, g2, release("c2", "l1", "a2", 2, 60, 61), // its lease ran out: no access
		refused("c3", "l0", "a3", 100, 101),          // gave up
		info(grant("c4", "l0", "a4", 3000, 0, 0, 0)), // unanswered (during the fault)
	)
	faults := []history.Fault{{Kind: "partition", Start: 2000 * msNS, End: 4000 * msNS}}
	r := Stats(StatsOptions{Faults: faults, ServerMessages: 40}).Check(h)
	if r.Valid != checkers.Valid {
		t.Fatalf("verdict %v: %s", r.Valid, r.Summary)
	}
	f := r.Evidence.(Figures)
	if f.Acquisitions != 4 || f.Granted != 2 || f.GaveUp != 1 || f.Unanswered != 1 || f.Attempts != 6 || f.Refusals != 3 {
		t.Fatalf("counts: %+v", f)
	}
	if *f.Availability != 0.5 || f.AvailabilityDuringFaults == nil || *f.AvailabilityDuringFaults != 0 {
		t.Fatalf("availability %v, during faults %v", *f.Availability, f.AvailabilityDuringFaults)
	}
	if f.Latency.Count != 2 || math.Abs(f.Latency.Max-50) > 0.1 || f.LatencyByPhase[latency.Before].Count != 2 {
		t.Fatalf("latency %+v by phase %+v", f.Latency, f.LatencyByPhase)
	}
	if f.Hold.Count != 2 || math.Abs(f.Hold.Max-20) > 0.1 {
		t.Fatalf("hold %+v, want two, the longest 20 ms", f.Hold)
	}
	if f.CriticalSections != 1 || f.Skipped != 1 {
		t.Fatalf("critical sections %d skipped %d", f.CriticalSections, f.Skipped)
	}
	if f.ServerMessagesPerAcquisition != 10 || f.ServerMessagesPerGrant != 20 {
		t.Fatalf("messages per acquisition %v per grant %v", f.ServerMessagesPerAcquisition, f.ServerMessagesPerGrant)
	}
	if f.GrantsByNode["n0"] != 1 || f.GrantsByNode["n3"] != 1 {
		t.Fatalf("grants by node %v", f.GrantsByNode)
	}
	// c1 and c2 got one each, c3 and c4 none: Jain's index (2)^2 / (4*2).
	if fr := f.Fairness; fr.Clients != 4 || fr.Min != 0 || fr.Max != 1 || math.Abs(fr.Jain-0.5) > 1e-9 {
		t.Fatalf("fairness %+v", fr)
	}
	// The same figures from history.jsonl.
	back := Stats(StatsOptions{Faults: faults, ServerMessages: 40}).Check(roundTrip(t, h)).Evidence.(Figures)
	if back.Granted != f.Granted || back.Latency != f.Latency || back.Fairness != f.Fairness {
		t.Fatalf("figures differ after a JSON round trip: %+v vs %+v", back, f)
	}
}

func TestStatsUnknownWithoutGrants(t *testing.T) {
	r := Stats(StatsOptions{}).Check(hist(refused("c1", "l0", "a1", 0, 1)))
	if r.Valid != checkers.Unknown {
		t.Fatalf("no grants: %v %s", r.Valid, r.Summary)
	}
}
