package harness

import (
	"maps"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/agreement"
	"github.com/ddbbench/ddbbench/checkers/commitstats"
	"github.com/ddbbench/ddbbench/checkers/latency"
	"github.com/ddbbench/ddbbench/checkers/liveness"
	"github.com/ddbbench/ddbbench/checkers/set"
	"github.com/ddbbench/ddbbench/checkers/stats"
	"github.com/ddbbench/ddbbench/checkers/txnstats"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

// LivenessBound is how long a transaction may wait for a lock after the
// faults healed before the liveness checker calls it deadlocked. Runs
// recover for longer than this after healing (10 s by default), so a wait
// that began during a fault is judged too.
const LivenessBound = 5 * time.Second

// Check judges a run's history with its workload's checkers and assembles
// everything the run leaves behind.
func Check(out *Outcome) *reports.Run { return assemble(out, true) }

// Unchecked assembles a run's results without running its checkers (the
// user asked to skip them): the verdict is unknown, every figure is there.
func Unchecked(out *Outcome) *reports.Run { return assemble(out, false) }

func assemble(out *Outcome, check bool) *reports.Run {
	cfg := out.Config
	run := &reports.Run{History: out.History, Logs: out.Logs, Files: map[string][]byte{}}
	r := &run.Results
	r.Format, r.Name, r.Seed, r.Runtime, r.Config = reports.Format, cfg.Name(), cfg.Seed, "sim", cfg.Record()
	if len(cfg.Bin) > 0 {
		r.Runtime = "proc"
	}
	// The history digest is computed as history.jsonl is written.
	r.Faults = reports.FaultsOf(out.Faults)
	r.ProtocolWarnings = protocolWarnings(out.Warnings)
	r.Unstarted, r.Interrupted = out.Unstarted, out.Interrupted
	for _, c := range out.LogsCut {
		r.NodeLogsCut = append(r.NodeLogsCut, reports.LogCut{Node: c.Node, LimitBytes: c.Limit, WrittenBytes: c.Written, CutBytes: c.Cut})
	}
	r.RunS, r.WallS = out.Duration.Seconds(), out.Wall.Seconds()
	if out.Err != nil {
		r.Error = out.Err.Error()
	}
	partial := out.Interrupted || out.Err != nil
	r.Rate.Requested = cfg.Rate
	if out.MainPhase > 0 {
		r.Rate.Achieved = float64(out.Started) / out.MainPhase.Seconds()
	}

	r.Stats = stats.Compute(out.History, out.Faults)
	r.Availability = r.Stats.Total.Availability
	r.AvailabilityDuringFaults = r.Stats.Total.AvailabilityDuringFaults
	r.Latency = latency.Compute(out.History, out.Faults)

	ops := len(out.History)
	m := out.Messages
	r.Messages = reports.Messages{
		Total: m.Total(), ServerToServer: m.ServerServer, ClientServer: m.ClientServer,
		ServerService: m.ServerService, Dropped: m.Dropped, Operations: ops,
		ServerByType: m.ServerByType, ForcedWrites: m.ForcedWrites,
	}
	if ops > 0 {
		r.Messages.PerOp = float64(m.Total()) / float64(ops)
		r.Messages.ServerPerOp = float64(m.ServerServer+m.ServerService) / float64(ops)
	}

	verdicts := []checkers.Validity{}
	spec := workloadSpecs[cfg.Workload]
	checks := spec.checkers(&cfg)
	if spec.outcomeCheckers != nil {
		checks = append(checks, spec.outcomeCheckers(out)...)
	}
	// Transactional workloads, and any run whose nodes reported waiting
	// for locks, are checked for liveness and measured as transactions.
	if spec.aborts != nil || len(out.Waits) > 0 {
		checks = append(checks, liveness.New(liveness.Options{
			Waits: out.Waits, Reported: out.WaitsReported, Faults: out.Faults, End: int64(out.Duration), Bound: LivenessBound,
		}))
		r.Transactions = txnstats.Compute(out.History, txnstats.Options{
			Aborts: spec.aborts, Faults: out.Faults, Waits: out.Waits, Messages: m.Total(), Main: cfg.TimeLimit,
		})
	}
	// Runs whose nodes reported their commits are checked for agreement
	// and measured for blocking and cost.
	if len(out.Commits) > 0 {
		// First: where nodes decided both ways, it names the attempt and
		// the two sides, the most direct evidence there is.
		checks = append([]checkers.Checker{agreement.New(out.Commits)}, checks...)
		r.Commit = commitstats.Compute(out.Commits, commitstats.Options{
			Faults: out.Faults, End: int64(out.Duration), Latency: cfg.Latency,
			ProtocolMessages: protocolMessages(m.ServerByType, cfg.Strategy.ProtocolMessages), ForcedWrites: m.ForcedWrites,
		})
	}
	// Maelstrom's stats rule: some operation type that never succeeded
	// fails the run, unless the run was cut short.
	checks = append(checks, stats.EveryF(partial))
	if a := cfg.Availability; a != nil {
		checks = append(checks, stats.Availability(a.Fraction, a.Total))
	}
	if !check {
		r.Checks = append(r.Checks, checkers.Result{Checker: "skipped", Valid: checkers.Unknown, Summary: "checking was skipped by a second interrupt"})
		checks, verdicts = nil, append(verdicts, checkers.Unknown)
	}
	for _, c := range checks {
		res := c.Check(out.History)
		if ev, ok := res.Evidence.(*set.Evidence); ok && r.StableLatency == nil {
			r.StableLatency = stableLatency(ev)
		}
		maps.Copy(run.Files, res.Files)
		r.Checks = append(r.Checks, res)
		verdicts = append(verdicts, res.Valid)
	}
	if out.Interrupted {
		// A run cut short proves nothing about the part that did not run.
		verdicts = append(verdicts, checkers.Unknown)
	}
	if out.Err != nil {
		// Nor does one that ended with an error: it is never valid, though
		// what it recorded may still prove it invalid.
		r.Checks = append(r.Checks, checkers.Result{Checker: "run", Valid: checkers.Unknown, Summary: "the run ended with an error: " + out.Err.Error()})
		verdicts = append(verdicts, checkers.Unknown)
	}
	if ops == 0 {
		r.Checks = append(r.Checks, checkers.Result{Checker: "history", Valid: checkers.Unknown, Summary: "no operations were recorded"})
		verdicts = append(verdicts, checkers.Unknown)
	}
	r.Valid = checkers.Merge(verdicts...)
	if spec.headline != nil && check {
		spec.headline(r)
	}
	return run
}

// protocolMessages counts the messages of the given types and their
// replies.
func protocolMessages(byType map[string]int64, types []string) int64 {
	var n int64
	for _, t := range types {
		n += byType[t] + byType[t+"_ok"]
	}
	return n
}

// protocolWarnings records the simulator's protocol warnings.
func protocolWarnings(w sim.Warnings) reports.ProtocolWarnings {
	p := reports.ProtocolWarnings{ByKind: map[string]reports.WarningKind{}}
	for kind, n := range w.Counts {
		k := reports.WarningKind{Count: n, Examples: []reports.Warning{}}
		for _, ex := range w.Examples[kind] {
			rec := reports.Warning{AtS: ex.At.Seconds(), Src: ex.Src, Dest: ex.Dest, Type: ex.Type}
			if ex.IsReply {
				irt := ex.InReplyTo
				rec.InReplyTo = &irt
			}
			k.Examples = append(k.Examples, rec)
		}
		p.ByKind[kind] = k
		p.Count += n
	}
	return p
}

// stableLatency takes the set checker's stable latencies (broadcast, g-set)
// up to the results' top level: Gossip Glomers states its broadcast targets
// in their median and maximum.
func stableLatency(ev *set.Evidence) *reports.StableLatency {
	q := ev.StableLatencies
	if len(q) == 0 {
		return nil
	}
	return &reports.StableLatency{Count: ev.StableCount, P50: q["0.5"], P95: q["0.95"], P99: q["0.99"], Max: q["1"]}
}
