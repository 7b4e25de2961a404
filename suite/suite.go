// Package suite runs a group of strategies against a set of nemeses over
// several seeds and compares what it observed with what each strategy's
// literature says it should do.
package suite

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
)

// DefaultNemeses are the faults a suite runs when not told otherwise.
var DefaultNemeses = []string{"none", "partition", "kill", "pause", "packet", "clock"}

// Config is a suite: every strategy under every nemesis, for Seeds seeds.
type Config struct {
	Strategies []nodes.Strategy
	Nemeses    []string
	Seeds      int
	FirstSeed  int64
	// Base is the run configuration every cell starts from; the suite sets
	// Nemesis and Seed.
	Base     harness.Config
	Parallel int // concurrent runs; 0 means one per core
	// Hunt is how many more seeds a cell the literature calls unsafe gets
	// when its first Seeds did not catch a violation: finding a
	// counterexample is a search, and a fault must often hit one particular
	// node (a primary, a tail) to expose it. The matrix says how many seeds
	// each cell tried.
	Hunt int
	// Group names the suite, for the record and for merging shards.
	Group string
	// Shard, when its Count is set, runs only this shard's cells (see
	// Shard.Has); Merge joins the shards' matrices.
	Shard Shard
}

// Shard is one of Count parts of a suite, numbered from 0 (as Kubernetes'
// JOB_COMPLETION_INDEX is). A shard runs whole cells, each with all its
// seeds and its hunt, so that a cell's verdict never depends on another
// machine: cell i of the suite's order (strategies, then nemeses) belongs
// to shard i mod Count, the same split on every machine.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Has reports whether the shard runs the suite's cell number cell.
func (s Shard) Has(cell int) bool { return s.Count == 0 || cell%s.Count == s.Index }

// Validate reports a shard that names no part of a suite.
func (s Shard) Validate() error {
	if s.Count < 0 || s.Count > 0 && (s.Index < 0 || s.Index >= s.Count) {
		return fmt.Errorf("%w: a shard is I/N with N at least 1 and I from 0 to N-1, got %d/%d", harness.ErrBadConfig, s.Index, s.Count)
	}
	return nil
}

// Run is one seed of one cell.
type Run struct {
	Seed         int64             `json:"seed"`
	Valid        checkers.Validity `json:"valid"`
	Anomaly      string            `json:"anomaly,omitempty"` // the failing checker's summary
	Availability float64           `json:"availability"`
	P50          float64           `json:"p50_ms"`
	P99          float64           `json:"p99_ms"`
	MsgsPerOp    float64           `json:"msgs_per_op"`
	ServerPerOp  float64           `json:"server_msgs_per_op"`
	Error        string            `json:"error,omitempty"`
}

// Cell is one strategy under one nemesis, over every seed.
type Cell struct {
	Strategy string             `json:"strategy"`
	Nemesis  string             `json:"nemesis"`
	Expected *nodes.Expectation `json:"expected,omitempty"`
	Runs     []Run              `json:"runs"`

	// Observed is invalid if any seed was, else unknown if any was, else
	// valid; FirstFailure is the first seed behind a non-valid verdict.
	Observed     checkers.Validity `json:"observed"`
	FirstFailure *Run              `json:"first_failure,omitempty"`
	// Means over the seeds.
	Availability float64 `json:"availability"`
	P50          float64 `json:"p50_ms"`
	P99          float64 `json:"p99_ms"`
	MsgsPerOp    float64 `json:"msgs_per_op"`
	ServerPerOp  float64 `json:"server_msgs_per_op"`
	// Agrees is false when the observation contradicts the expectation.
	Agrees bool   `json:"agrees"`
	Note   string `json:"note,omitempty"`
}

// Matrix is a finished suite.
type Matrix struct {
	Group      string        `json:"group,omitempty"`
	Strategies []string      `json:"strategies"`
	Nemeses    []string      `json:"nemeses"`
	Seeds      int           `json:"seeds"`
	FirstSeed  int64         `json:"first_seed"`
	Hunt       int           `json:"hunt"`
	Config     any           `json:"config"`
	Cells      []*Cell       `json:"cells"`
	Wall       time.Duration `json:"wall_ns"`
	Disagree   int           `json:"disagreements"`
	// Shard is set on one shard's partial matrix; a merged or unsharded
	// matrix has none.
	Shard *Shard `json:"shard,omitempty"`
}

// Cell returns the cell for a strategy and nemesis, or nil.
func (m *Matrix) Cell(strategy, nemesis string) *Cell {
	for _, c := range m.Cells {
		if c.Strategy == strategy && c.Nemesis == nemesis {
			return c
		}
	}
	return nil
}

// Execute runs the suite. progress, when set, is called after each run
// (from one goroutine at a time) with the number done and the total.
func Execute(ctx context.Context, cfg Config, progress func(done, total int)) (*Matrix, error) {
	if cfg.Seeds < 1 {
		return nil, fmt.Errorf("%w: --seeds must be at least 1", harness.ErrBadConfig)
	}
	if err := cfg.Shard.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Nemeses) == 0 {
		cfg.Nemeses = DefaultNemeses
	}
	if cfg.FirstSeed == 0 {
		cfg.FirstSeed = 1
	}
	parallel := cfg.Parallel
	if parallel <= 0 {
		parallel = runtime.NumCPU()
	}
	start := time.Now()
	m := &Matrix{Group: cfg.Group, Nemeses: cfg.Nemeses, Seeds: cfg.Seeds, FirstSeed: cfg.FirstSeed, Hunt: cfg.Hunt, Config: cfg.Base}
	if cfg.Shard.Count > 0 {
		shard := cfg.Shard
		m.Shard = &shard
	}
	var jobs []job
	index := 0
	for _, s := range cfg.Strategies {
		m.Strategies = append(m.Strategies, s.Name)
		for _, nem := range cfg.Nemeses {
			index++
			if !cfg.Shard.Has(index - 1) {
				continue
			}
			cell := &Cell{Strategy: s.Name, Nemesis: nem, Expected: expectation(s, nem), Runs: make([]Run, cfg.Seeds)}
			m.Cells = append(m.Cells, cell)
			for i := range cfg.Seeds {
				c := cfg.Base
				c.Nemesis = nil
				if nem != "none" {
					c.Nemesis = []string{nem}
				}
				c.Seed = cfg.FirstSeed + int64(i)
				c.Strategy = s
				if err := c.Validate(); err != nil {
					return nil, err
				}
				jobs = append(jobs, job{cell: cell, slot: i, cfg: c, s: s})
			}
		}
	}

	total := len(jobs)
	done := 0
	var mu sync.Mutex
	report := func() {
		done++
		if progress != nil {
			progress(done, total)
		}
	}
	if err := runJobs(ctx, jobs, parallel, &mu, report); err != nil {
		return nil, err
	}

	// The hunt: unsafe-by-the-literature cells not yet caught get more
	// seeds, a round at a time, until caught or out of seeds.
	for extra := 0; extra < cfg.Hunt; extra++ {
		var round []job
		for _, c := range m.Cells {
			if c.Expected == nil || c.Expected.Safe || caught(c) {
				continue
			}
			j := jobs[slices.IndexFunc(jobs, func(j job) bool { return j.cell == c })]
			j.cfg.Seed = cfg.FirstSeed + int64(len(c.Runs))
			j.slot = len(c.Runs)
			c.Runs = append(c.Runs, Run{})
			round = append(round, j)
		}
		if len(round) == 0 {
			break
		}
		total += len(round)
		if err := runJobs(ctx, round, parallel, &mu, report); err != nil {
			return nil, err
		}
	}
	for _, c := range m.Cells {
		summarize(c)
		if !c.Agrees {
			m.Disagree++
		}
	}
	m.Wall = time.Since(start)
	return m, nil
}

// job is one run: a seed of a cell.
type job struct {
	cell *Cell
	slot int
	cfg  harness.Config
	s    nodes.Strategy
}

// runJobs runs jobs on parallel workers, storing each result in its cell.
func runJobs(ctx context.Context, jobs []job, parallel int, mu *sync.Mutex, report func()) error {
	var wg sync.WaitGroup
	next := make(chan job)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				r := runOne(ctx, j.cfg, j.s)
				mu.Lock()
				j.cell.Runs[j.slot] = r
				report()
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	return ctx.Err()
}

func caught(c *Cell) bool {
	return slices.ContainsFunc(c.Runs, func(r Run) bool { return r.Valid == checkers.Invalid })
}

func expectation(s nodes.Strategy, nemesis string) *nodes.Expectation {
	i := slices.IndexFunc(s.Expect, func(e nodes.Expectation) bool { return e.Nemesis == nemesis })
	if i < 0 {
		return nil
	}
	e := s.Expect[i]
	return &e
}

func runOne(ctx context.Context, cfg harness.Config, s nodes.Strategy) Run {
	r := Run{Seed: cfg.Seed}
	out, err := harness.SimulateWith(ctx, cfg, s, nil)
	if out == nil {
		r.Valid, r.Error = checkers.Unknown, err.Error()
		return r
	}
	res := harness.Check(out).Results
	r.Valid, r.Availability = res.Valid, res.Availability
	r.P50, r.P99 = res.Latency.Latency.P50, res.Latency.Latency.P99
	r.MsgsPerOp, r.ServerPerOp = res.Messages.PerOp, res.Messages.ServerPerOp
	if err != nil {
		r.Valid, r.Error = checkers.Unknown, err.Error()
	}
	for _, c := range res.Checks {
		if c.Valid != checkers.Valid {
			r.Anomaly = c.Summary
			break
		}
	}
	return r
}

// summarize derives a cell's verdict, means and agreement from its runs.
func summarize(c *Cell) {
	verdicts := make([]checkers.Validity, len(c.Runs))
	n := float64(len(c.Runs))
	for i, r := range c.Runs {
		verdicts[i] = r.Valid
		c.Availability += r.Availability / n
		c.P50 += r.P50 / n
		c.P99 += r.P99 / n
		c.MsgsPerOp += r.MsgsPerOp / n
		c.ServerPerOp += r.ServerPerOp / n
	}
	c.Observed = checkers.Merge(verdicts...)
	for i := range c.Runs {
		if c.Runs[i].Valid == c.Observed && c.Observed != checkers.Valid {
			c.FirstFailure = &c.Runs[i]
			break
		}
	}
	switch e := c.Expected; {
	case e == nil:
		c.Agrees, c.Note = true, "no expectation declared"
	case e.Safe && c.Observed == checkers.Valid:
		c.Agrees = true
	case e.Safe:
		c.Agrees = false
		c.Note = fmt.Sprintf("expected safe, but seed %d was %s: %s", c.FirstFailure.Seed, c.Observed, c.FirstFailure.Anomaly)
	case c.Observed == checkers.Invalid:
		c.Agrees = true
	default:
		c.Agrees = false
		c.Note = fmt.Sprintf("expected unsafe, but no violation was caught in %d seeds", len(c.Runs))
	}
}
