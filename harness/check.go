package harness

import (
	"maps"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/latency"
	"github.com/ddbbench/ddbbench/checkers/stats"
	"github.com/ddbbench/ddbbench/reports"
)

// resultsFormat is the version of results.json's schema.
const resultsFormat = 1

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
	r.Rate.Requested = cfg.Rate
	if out.MainPhase > 0 {
		r.Rate.Achieved = float64(out.Started) / out.MainPhase.Seconds()
	}

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
