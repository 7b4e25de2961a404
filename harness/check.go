package harness

import (
	"maps"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/agreement"
	"github.com/ddbbench/ddbbench/checkers/commitstats"
	"github.com/ddbbench/ddbbench/checkers/latency"
	"github.com/ddbbench/ddbbench/checkers/liveness"
	"github.com/ddbbench/ddbbench/checkers/stats"
	"github.com/ddbbench/ddbbench/checkers/txnstats"
	"github.com/ddbbench/ddbbench/reports"
)

// resultsFormat is the version of results.json's schema.
const resultsFormat = 1

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
	r.Name, r.Seed, r.Runtime, r.Config, r.DdbbenchFormat = cfg.Name(), cfg.Seed, "sim", cfg, resultsFormat
	if len(cfg.Bin) > 0 {
		r.Runtime = "proc"
	}
	// The history digest is computed as history.jsonl is written.
	r.Faults = out.Faults
	r.Unstarted, r.Interrupted = out.Unstarted, out.Interrupted
	r.RunSeconds, r.WallSeconds = out.Duration.Seconds(), out.Wall.Seconds()

	r.Stats = stats.Compute(out.History, out.Faults)
	if a := r.Stats.Total.Availability; a != nil {
		r.Availability = *a
	}
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
	checks := workloadSpecs[cfg.Workload].checkers(&cfg)
	if a := cfg.Availability; a != nil {
		checks = append(checks, stats.Availability(a.Fraction, a.Total))
	}
	// Transactional workloads, and any run whose nodes reported waiting
	// for locks, are checked for liveness and measured as transactions.
	if spec := workloadSpecs[cfg.Workload]; spec.aborts != nil || len(out.Waits) > 0 {
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
		checks = append(checks, agreement.New(out.Commits))
		r.Commit = commitstats.Compute(out.Commits, commitstats.Options{
			Faults: out.Faults, End: int64(out.Duration), Latency: cfg.Latency,
			ProtocolMessages: protocolMessages(m.ServerByType, cfg.Strategy.ProtocolMessages), ForcedWrites: m.ForcedWrites,
		})
	}
	if !check {
		r.Checks = append(r.Checks, checkers.Result{Checker: "skipped", Valid: checkers.Unknown, Summary: "checking was skipped by a second interrupt"})
		checks, verdicts = nil, append(verdicts, checkers.Unknown)
	}
	for _, c := range checks {
		res := c.Check(out.History)
		maps.Copy(run.Files, res.Files)
		r.Checks = append(r.Checks, res)
		verdicts = append(verdicts, res.Valid)
	}
	if out.Interrupted {
		// A run cut short proves nothing about the part that did not run.
		verdicts = append(verdicts, checkers.Unknown)
	}
	if ops == 0 {
		r.Checks = append(r.Checks, checkers.Result{Checker: "history", Valid: checkers.Unknown, Summary: "no operations were recorded"})
		verdicts = append(verdicts, checkers.Unknown)
	}
	r.Valid = checkers.Merge(verdicts...)
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
