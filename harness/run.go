package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/nemesis"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/catalog"
	"github.com/ddbbench/ddbbench/runtime/network"
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
	Config      Config
	History     history.History
	Faults      []history.Fault
	Messages    sim.Stats
	Logs        map[string][]byte
	Unstarted   int           // arrivals the clients never got to
	Duration    time.Duration // run time covered (virtual in the simulator)
	Wall        time.Duration // wall-clock time the run took
	Interrupted bool          // stopped early by the caller
}

// progressStep is how much virtual time passes between progress reports and
// interrupt checks.
const progressStep = 250 * time.Millisecond

// Simulate runs cfg in the deterministic simulator. Cancelling ctx stops the
// run early; what was recorded up to then is returned with Interrupted set.
func Simulate(ctx context.Context, cfg Config, progress func(Progress)) (*Outcome, error) {
	strategy, err := catalog.Lookup(cfg.Node)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return SimulateWith(ctx, cfg, strategy, progress)
}

// SimulateWith runs cfg with the given strategy, which need not be in the
// catalog (tests of a strategy under construction use this).
func SimulateWith(ctx context.Context, cfg Config, strategy nodes.Strategy, progress func(Progress)) (*Outcome, error) {
	cfg.Node = strategy.Name
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wallStart := time.Now()
	dist, _ := network.ParseDist(cfg.LatencyDist)
	s := sim.New(sim.Config{
		Seed:         cfg.Seed,
		Network:      network.Config{Latency: cfg.Latency, Dist: dist, Loss: cfg.Loss, Dup: cfg.Dup},
		LoseUnsynced: cfg.LoseUnsynced,
	})
	ids := make([]string, cfg.NodeCount)
	for i := range ids {
		ids[i] = fmt.Sprintf("n%d", i)
		s.AddServer(ids[i], strategy.New)
	}
	for _, name := range services.Names() {
		factory, err := services.New(name)
		if err != nil {
			return nil, err
		}
		s.AddService(name, factory)
	}
	spec := workloadSpecs[cfg.Workload]
	workload := spec.build(&cfg)
	driver := workloads.NewDriver(workload, workloads.DriverConfig{
		Rate: cfg.Rate, OpTimeout: cfg.OpTimeout, Nodes: ids,
	}, cfg.Concurrency, s.Stream("workload"))
	for _, c := range driver.Clients() {
		c := c
		s.AddClient(c.ID(), func() nodes.Node { return c })
	}
	nem, err := nemesis.New(cfg.Nemesis, cfg.NemesisInterval, s.Stream("nemesis"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}

	stopWatch := watchInterrupt(ctx, s)
	defer stopWatch()

	s.Start()
	driver.Start(s)
	nem.Start(s, cfg.TimeLimit)

	out := &Outcome{Config: cfg}
	completed, okCount := 0, 0
	driver.OnComplete = func(op *history.Op) {
		completed++
		if op.Outcome == history.OK {
			okCount++
		}
	}
	report := func(phase string, limit time.Duration) {
		if progress != nil {
			progress(Progress{Phase: phase, Now: s.Now(), TimeLimit: limit, Completed: completed, OK: okCount, Faults: activeKinds(nem.Faults(), s.Now())})
		}
	}
	// run advances the simulation to t in steps, reporting progress; it
	// returns false when the run must end early.
	run := func(phase string, t, limit time.Duration, until func() bool) (bool, error) {
		for s.Now() < t {
			next := min(s.Now()+progressStep, t)
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

	total := cfg.TimeLimit
	cont, err := run("main", cfg.TimeLimit, total, nil)
	if err != nil {
		return nil, err
	}
	driver.Stop()
	if cont {
		// Jepsen's shape: heal everything, let the cluster recover, then
		// run the final operations against a healthy cluster.
		nem.HealAll()
		if final := workload.Final(); len(final) > 0 {
			cont, err = run("recovery", cfg.TimeLimit+cfg.Recovery, total+cfg.Recovery, nil)
			if err != nil {
				return nil, err
			}
			if cont {
				done := false
				driver.RunFinal(func() { done = true })
				rounds := (len(final) + cfg.Concurrency - 1) / cfg.Concurrency
				deadline := s.Now() + time.Duration(rounds)*cfg.OpTimeout + time.Second
				if _, err := run("final", deadline, deadline, func() bool { return done }); err != nil {
					return nil, err
				}
			}
		}
	}
	if nemErr := nem.Err(); nemErr != nil {
		return nil, fmt.Errorf("nemesis: %w", nemErr)
	}
	nem.HealAll()
	driver.Abandon()

	out.History = driver.History()
	out.Faults = nem.Faults()
	out.Messages = s.Stats()
	out.Logs = s.Logs()
	out.Unstarted = driver.Unstarted
	out.Duration = s.Now()
	out.Wall = time.Since(wallStart)
	return out, nil
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
