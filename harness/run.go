package harness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/nemesis"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/network"
	"github.com/ddbbench/ddbbench/runtime/proc"
	"github.com/ddbbench/ddbbench/runtime/services"
	"github.com/ddbbench/ddbbench/runtime/sim"
	"github.com/ddbbench/ddbbench/workloads"
)

// Progress is a snapshot of a run for a progress display.
type Progress struct {
	Phase     string        // "main", "recovery", "final"
	Now       time.Duration // run time so far (virtual in the simulator)
	TimeLimit time.Duration
	Completed int
	OK        int
	Faults    []string // kinds active now
}

// Outcome is what a run recorded, before checking.
type Outcome struct {
	Config    Config
	History   history.History
	Faults    []history.Fault
	Messages  sim.Stats
	Logs      map[string][]byte
	LogsCut   []proc.LogCut // node process logs cut to their limit
	Unstarted int           // arrivals the clients never got to
	// Arrivals and Started count the main phase's scheduled arrivals and
	// the operations clients invoked for them, over MainPhase.
	Arrivals, Started int
	MainPhase         time.Duration
	Duration          time.Duration // run time covered (virtual in the simulator)
	Wall              time.Duration // wall-clock time the run took
	Interrupted       bool          // stopped early by the caller
	// Err is why the run ended early on its own (a node misbehaved), as
	// Run also returns it; nil for a run that completed.
	Err error
	// Warnings are the protocol warnings: replies the clients received
	// that answered nothing they were waiting for.
	Warnings sim.Warnings
	// Waits are the nodes' wait-for reports; WaitsReported says the
	// runtime carries them (the simulator does, processes cannot).
	Waits         []history.Wait
	WaitsReported bool
	// Commits are the nodes' commit-state reports (reference nodes in the
	// simulator only).
	Commits []history.CommitEvent
}

// progressStep is how much virtual time passes between progress reports and
// interrupt checks.
const progressStep = 250 * time.Millisecond

// Run runs cfg: reference nodes in the deterministic simulator, or, with
// cfg.Bin, real processes in real time. Cancelling ctx stops the run early;
// what was recorded up to then is returned with Interrupted set. A run that
// fails part way (a node misbehaves) returns what it recorded too, with the
// error.
func Run(ctx context.Context, cfg Config, progress func(Progress)) (*Outcome, error) {
	if len(cfg.Bin) > 0 {
		return run(ctx, cfg, processServers, progress)
	}
	return SimulateWith(ctx, cfg, cfg.Strategy, progress)
}

// Simulate is Run for a reference strategy in the simulator.
func Simulate(ctx context.Context, cfg Config, progress func(Progress)) (*Outcome, error) {
	cfg.Bin = nil
	return Run(ctx, cfg, progress)
}

// SimulateWith runs cfg with the given strategy in the simulator.
func SimulateWith(ctx context.Context, cfg Config, strategy nodes.Strategy, progress func(Progress)) (*Outcome, error) {
	cfg.Strategy, cfg.Bin = strategy, nil
	return run(ctx, cfg, func(_ *Config, s *sim.Sim, ids []string) (*servers, error) {
		for _, id := range ids {
			s.AddServer(id, strategy.New)
		}
		return &servers{start: func(context.Context) error { s.Start(); return nil }, close: func() {}}, nil
	}, progress)
}

// servers is how a runtime hosts the server nodes: in-process, or as
// child processes that must be started (init) and reaped.
type servers struct {
	start func(ctx context.Context) error
	close func() // safe to call more than once
	// logsCut, when set, reports the logs cut to their limit, after close.
	logsCut func() []proc.LogCut
}

// processServers hosts cfg.Bin as one child process per node, in real time.
func processServers(cfg *Config, s *sim.Sim, ids []string) (*servers, error) {
	if cfg.WorkDir == "" {
		return nil, badf("a process run needs a working directory for node data and logs")
	}
	c, err := proc.NewCluster(proc.Config{
		Command:     cfg.Bin,
		DataDir:     filepath.Join(cfg.WorkDir, "node-data"),
		LogDir:      filepath.Join(cfg.WorkDir, "node-logs"),
		LogStderr:   cfg.LogStderr,
		InitTimeout: cfg.InitTimeout,
		LogLimit:    cfg.NodeLogLimit,
		ExitIsCrash: slices.ContainsFunc(cfg.Nemesis, func(k string) bool { return strings.HasPrefix(k, "kill") }),
	}, s, ids)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return &servers{start: c.Start, close: c.Close, logsCut: c.LogsCut}, nil
}

func run(ctx context.Context, cfg Config, host func(*Config, *sim.Sim, []string) (*servers, error), progress func(Progress)) (*Outcome, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wallStart := time.Now()
	dist, _ := network.ParseDist(cfg.LatencyDist)
	s := sim.New(sim.Config{
		Seed:         cfg.Seed,
		Network:      network.Config{Latency: cfg.Latency, Dist: dist, Loss: cfg.Loss, Dup: cfg.Dup},
		LoseUnsynced: cfg.LoseUnsynced,
		RealTime:     len(cfg.Bin) > 0,
	})
	ids := make([]string, cfg.NodeCount)
	for i := range ids {
		ids[i] = fmt.Sprintf("n%d", i)
	}
	srv, err := host(&cfg, s, ids)
	if err != nil {
		return nil, err
	}
	defer srv.close()
	for _, name := range services.Names() {
		factory, err := services.New(name)
		if err != nil {
			return nil, err
		}
		s.AddService(name, factory)
	}
	spec := workloadSpecs[cfg.Workload]
	if spec.services != nil {
		extra := spec.services(&cfg)
		for _, id := range slices.Sorted(maps.Keys(extra)) {
			s.AddService(id, extra[id])
		}
	}
	workload := spec.build(&cfg)
	driver := workloads.NewDriver(workload, workloads.DriverConfig{
		Rate: cfg.Rate, OpTimeout: cfg.OpTimeout, Nodes: ids,
	}, cfg.Concurrency, s.Stream("workload"))
	for _, c := range driver.Clients() {
		s.AddClient(c.ID(), func() nodes.Node { return c })
	}
	nem, err := nemesis.New(cfg.Nemesis, cfg.NemesisInterval, s.Stream("nemesis"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	nem.LeaderRoles = cfg.Strategy.TargetRoles
	if spec.holderRole != "" {
		for _, c := range driver.Clients() {
			nem.Clients = append(nem.Clients, c.ID())
		}
		nem.HolderRole = spec.holderRole
	}

	stopWatch := watchInterrupt(ctx, s)
	defer stopWatch()

	out := &Outcome{Config: cfg}
	origin := s.Now()
	// finish gathers what was recorded, whether the run completed or not.
	finish := func(runErr error) (*Outcome, error) {
		nem.HealAll()
		driver.Abandon()
		// The nodes are done with: end them now, so that what their logs
		// lost is known.
		srv.close()
		if srv.logsCut != nil {
			out.LogsCut = srv.logsCut()
		}
		out.History = driver.History()
		out.Faults = nem.Faults()
		out.Messages = s.Stats()
		out.Waits, out.WaitsReported = s.Waits(), len(cfg.Bin) == 0
		out.Commits = s.Commits()
		out.Warnings = s.Warnings()
		out.Logs = s.Logs()
		out.Unstarted = driver.Unstarted
		out.Arrivals, out.Started = driver.Arrivals, driver.Started
		out.MainPhase = min(max(s.Now()-origin, 0), cfg.TimeLimit)
		out.Duration = s.Now()
		out.Wall = time.Since(wallStart)
		if runErr == nil {
			if nemErr := nem.Err(); nemErr != nil {
				runErr = fmt.Errorf("nemesis: %w", nemErr)
			}
		}
		out.Err = runErr
		return out, runErr
	}
	if err := srv.start(ctx); err != nil {
		if ctx.Err() != nil {
			out.Interrupted = true
			return finish(nil)
		}
		return finish(err) // results.json still records what went wrong
	}
	// The clock starts when the cluster is up: with processes, starting them
	// takes real time that must not count against the first operations.
	origin = s.Now()
	driver.Start(s)
	nem.Start(s, origin+cfg.TimeLimit)

	completed, okCount := 0, 0
	driver.OnComplete = func(op *history.Op) {
		completed++
		if op.Outcome == history.OK {
			okCount++
		}
	}
	report := func(phase string, limit time.Duration) {
		if progress != nil {
			now := s.Now()
			progress(Progress{Phase: phase, Now: now - origin, TimeLimit: limit, Completed: completed, OK: okCount, Faults: activeKinds(nem.Faults(), now)})
		}
	}
	// advance runs to origin+t in steps, reporting progress; it returns
	// false when the run must end early.
	advance := func(phase string, t, limit time.Duration, until func() bool) (bool, error) {
		for s.Now() < origin+t {
			next := min(s.Now()+progressStep, origin+t)
			if err := s.RunUntil(next); err != nil {
				if errors.Is(err, sim.ErrInterrupted) {
					out.Interrupted = true
					return false, nil
				}
				return false, err
			}
			report(phase, limit)
			if until != nil && until() {
				return true, nil
			}
		}
		return true, nil
	}

	cont, err := advance("main", cfg.TimeLimit, cfg.TimeLimit, nil)
	if err != nil {
		return finish(err)
	}
	driver.Stop()
	if !cont {
		return finish(nil)
	}
	// Like Jepsen, wait for the operations in flight to answer or time out
	// rather than record them as indefinite at the stroke of the limit.
	drain := cfg.TimeLimit + cfg.OpTimeout
	if cont, err = advance("drain", drain, drain, func() bool { return driver.Outstanding() == 0 }); err != nil || !cont {
		return finish(err)
	}
	// Jepsen's shape: heal everything, let the cluster recover, then run
	// the final operations against a healthy cluster.
	nem.HealAll()
	final := workload.Final()
	if len(final) == 0 {
		return finish(nil)
	}
	end := s.Now() - origin + cfg.Recovery
	if cont, err = advance("recovery", end, end, nil); err != nil || !cont {
		return finish(err)
	}
	done := false
	driver.RunFinal(final, func() { done = true })
	// Every final op answers or times out within OpTimeout; a workload that
	// follows up on what it reads (kafka) gets Maelstrom's 10 s more.
	rounds := (len(final) + cfg.Concurrency - 1) / cfg.Concurrency
	deadline := end + time.Duration(rounds)*cfg.OpTimeout + 10*time.Second
	_, err = advance("final", deadline, deadline, func() bool { return done })
	return finish(err)
}

// watchInterrupt interrupts s when ctx is cancelled. The simulator checks
// the flag between events, so the loop stays single-threaded.
func watchInterrupt(ctx context.Context, s *sim.Sim) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			s.Interrupt()
		case <-done:
		}
	}()
	return func() { close(done) }
}

func activeKinds(faults []history.Fault, now time.Duration) []string {
	var kinds []string
	for _, f := range faults {
		if int64(now) >= f.Start && int64(now) <= f.End {
			kinds = append(kinds, f.Kind)
		}
	}
	return kinds
}
