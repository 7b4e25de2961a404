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
	"github.com/ddbbench/ddbbench/reports"
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
	// Contention are bank contention levels (bank.Levels) to run every
	// cell at; nil runs the base configuration's workload as it is.
	Contention []string
	// Costs adds, for each strategy, one fault-free run with constant
	// latency, whose protocol latency in message delays is exact: the
	// cost table of a commit suite.
	Costs bool
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
	Seed    int64             `json:"seed"`
	Valid   checkers.Validity `json:"valid"`
	Anomaly string            `json:"anomaly,omitempty"` // the failing checker's summary
	// Availability is null when the run recorded no main-phase operation.
	Availability *float64 `json:"availability"`
	P50          float64  `json:"p50_ms"`
	P99          float64  `json:"p99_ms"`
	MsgsPerOp    float64  `json:"msgs_per_op"`
	ServerPerOp  float64  `json:"server_msgs_per_op"`
	// Txn are the transaction figures of a transactional workload.
	Txn *TxnFigures `json:"txn,omitempty"`
	// Commit are the commit figures of a run whose nodes reported their
	// commits.
	Commit *CommitFigures `json:"commit,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// CommitFigures are a run's atomic commitment figures (a cell's are the
// means over its seeds, but for Aborts, which are totals, and BlockedAtEnd
// and BlockedMaxS, which are the largest).
type CommitFigures struct {
	// Blocked and InDoubt are participant-seconds over the whole run;
	// BlockedDuring and BlockedAfter split Blocked by fault phase.
	BlockedS       float64 `json:"blocked_s"`
	BlockedDuringS float64 `json:"blocked_during_s"`
	BlockedAfterS  float64 `json:"blocked_after_s"`
	BlockedMaxS    float64 `json:"blocked_max_s"`
	BlockedAtEnd   int     `json:"blocked_at_end"`
	InDoubtS       float64 `json:"in_doubt_s"`
	// AvailabilityDuringFaults is ok / invoked over operations invoked
	// while a fault was active (0 when none was).
	AvailabilityDuringFaults float64        `json:"availability_during_faults"`
	WritersPerCommit         float64        `json:"writers_per_commit"`
	DecideDelays             float64        `json:"decide_p50_delays"`
	LearnDelays              float64        `json:"learn_p50_delays"`
	MessagesPerCommit        float64        `json:"protocol_messages_per_commit"`
	ForcedWritesPerCommit    float64        `json:"forced_writes_per_commit"`
	AbortRate                float64        `json:"abort_rate"`
	Aborts                   map[string]int `json:"aborts"`
}

// TxnFigures are a run's transaction statistics, the ones a comparison of
// concurrency control needs (a cell's are the means over its seeds, but
// for Aborts, which are totals).
type TxnFigures struct {
	CommittedPerS     float64        `json:"committed_per_s"`
	AbortRate         float64        `json:"abort_rate"`
	Aborts            map[string]int `json:"aborts"` // aborted attempts by cause
	RestartsPerCommit float64        `json:"restarts_per_commit"`
	MessagesPerCommit float64        `json:"messages_per_commit"`
	CommitP50         float64        `json:"commit_p50_ms"`
	CommitP99         float64        `json:"commit_p99_ms"`
}

// Cell is one strategy under one nemesis, over every seed.
type Cell struct {
	Strategy string `json:"strategy"`
	Nemesis  string `json:"nemesis"`
	// Contention is the bank contention level the cell ran at, if the
	// suite has levels.
	Contention string             `json:"contention,omitempty"`
	Expected   *nodes.Expectation `json:"expected,omitempty"`
	Runs       []Run              `json:"runs"`

	// Observed is invalid if any seed was, else unknown if any was, else
	// valid; FirstFailure is the first seed behind a non-valid verdict.
	Observed     checkers.Validity `json:"observed"`
	FirstFailure *Run              `json:"first_failure,omitempty"`
	// Means over the seeds (availability over those that have one; null
	// when none has).
	Availability *float64       `json:"availability"`
	P50          float64        `json:"p50_ms"`
	P99          float64        `json:"p99_ms"`
	MsgsPerOp    float64        `json:"msgs_per_op"`
	ServerPerOp  float64        `json:"server_msgs_per_op"`
	Txn          *TxnFigures    `json:"txn,omitempty"`
	Commit       *CommitFigures `json:"commit,omitempty"`
	// Agrees is false when the observation contradicts the expectation.
	Agrees bool   `json:"agrees"`
	Note   string `json:"note,omitempty"`
}

// MatrixFormat is the version of matrix.json's schema (docs/results.md). It
// changes whenever the schema does.
const MatrixFormat = 2

// Matrix is a finished suite: the schema of matrix.json, documented in
// docs/results.md and checked by matrix.schema.json.
type Matrix struct {
	Format     int      `json:"format"`
	Group      string   `json:"group,omitempty"`
	Strategies []string `json:"strategies"`
	Nemeses    []string `json:"nemeses"`
	// Contention are the contention levels each strategy and nemesis ran
	// at (absent: the base configuration's workload only).
	Contention []string `json:"contention,omitempty"`
	Seeds      int      `json:"seeds"`
	FirstSeed  int64    `json:"first_seed"`
	Hunt       int      `json:"hunt"`
	// Config is every run's configuration but for nemesis, seed and node,
	// which each cell and run sets.
	Config reports.RunConfig `json:"config"`
	Cells  []*Cell           `json:"cells"`
	// Costs are the cost runs (Config.Costs): one fault-free run per
	// strategy with constant latency, nemesis "none".
	Costs    []*Cell `json:"costs,omitempty"`
	WallS    float64 `json:"wall_s"`
	Disagree int     `json:"disagreements"`
	// Shard is set on one shard's partial matrix; a merged or unsharded
	// matrix has none.
	Shard *Shard `json:"shard,omitempty"`
}

// Cell returns the cell for a strategy and nemesis (at the first
// contention level, if any), or nil.
func (m *Matrix) Cell(strategy, nemesis string) *Cell {
	level := ""
	if len(m.Contention) > 0 {
		level = m.Contention[0]
	}
	return m.CellAt(strategy, nemesis, level)
}

// CellAt returns the cell for a strategy and nemesis at a contention
// level, or nil.
func (m *Matrix) CellAt(strategy, nemesis, level string) *Cell {
	for _, c := range m.Cells {
		if c.Strategy == strategy && c.Nemesis == nemesis && c.Contention == level {
			return c
		}
	}
	return nil
}

// Validate checks the suite's own settings and every cell's run
// configuration, so that a bad argument is refused before anything runs.
// It fills in the default nemeses.
func (cfg *Config) Validate() error {
	switch {
	case cfg.Seeds < 1:
		return fmt.Errorf("%w: --seeds must be at least 1, got %d", harness.ErrBadConfig, cfg.Seeds)
	case cfg.Hunt < 0:
		return fmt.Errorf("%w: --hunt must not be negative, got %d", harness.ErrBadConfig, cfg.Hunt)
	case cfg.Parallel < 0:
		return fmt.Errorf("%w: --parallel must not be negative, got %d", harness.ErrBadConfig, cfg.Parallel)
	case len(cfg.Strategies) == 0:
		return fmt.Errorf("%w: no strategies to run", harness.ErrBadConfig)
	}
	if err := cfg.Shard.Validate(); err != nil {
		return err
	}
	if len(cfg.Nemeses) == 0 {
		cfg.Nemeses = DefaultNemeses
	}
	for _, s := range cfg.Strategies {
		for _, level := range cfg.levels() {
			for _, nem := range cfg.Nemeses {
				if _, err := cfg.cell(s, nem, level); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// levels are the contention levels the cells run at; "" alone for the
// base configuration's workload.
func (cfg *Config) levels() []string {
	if len(cfg.Contention) == 0 {
		return []string{""}
	}
	return cfg.Contention
}

// cell is the validated run configuration of strategy s under nemesis nem
// at a contention level (its seed still to be set).
func (cfg *Config) cell(s nodes.Strategy, nem, level string) (harness.Config, error) {
	c := cfg.Base
	c.Nemesis = nil
	if nem != "none" {
		c.Nemesis = []string{nem}
	}
	if level != "" {
		if err := c.SetContention(level); err != nil {
			return c, err
		}
	}
	c.Strategy = s
	return c, c.Validate()
}

// Warnings are the warnings of every cell's configuration, each once.
func (cfg *Config) Warnings() []string {
	var ws []string
	for _, s := range cfg.Strategies {
		for _, level := range cfg.levels() {
			for _, nem := range cfg.Nemeses {
				c, err := cfg.cell(s, nem, level)
				if err != nil {
					continue
				}
				for _, w := range c.Warnings() {
					if !slices.Contains(ws, w) {
						ws = append(ws, w)
					}
				}
			}
		}
	}
	return ws
}

// Execute runs the suite. progress, when set, is called after each run
// (from one goroutine at a time) with the number done and the total.
func Execute(ctx context.Context, cfg Config, progress func(done, total int)) (*Matrix, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.FirstSeed == 0 {
		cfg.FirstSeed = 1
	}
	parallel := cfg.Parallel
	if parallel <= 0 {
		parallel = runtime.NumCPU()
	}
	start := time.Now()
	m := &Matrix{Format: MatrixFormat, Group: cfg.Group, FirstSeed: cfg.FirstSeed, Nemeses: cfg.Nemeses, Contention: cfg.Contention, Seeds: cfg.Seeds, Hunt: cfg.Hunt, Config: baseRecord(cfg)}
	levels := cfg.levels()
	if cfg.Shard.Count > 0 {
		shard := cfg.Shard
		m.Shard = &shard
	}
	var jobs []job
	index := 0
	for _, s := range cfg.Strategies {
		m.Strategies = append(m.Strategies, s.Name)
		for _, level := range levels {
			for _, nem := range cfg.Nemeses {
				index++
				if !cfg.Shard.Has(index - 1) {
					continue
				}
				cell := &Cell{Strategy: s.Name, Nemesis: nem, Contention: level, Expected: expectation(s, nem), Runs: make([]Run, cfg.Seeds)}
				m.Cells = append(m.Cells, cell)
				for i := range cfg.Seeds {
					c, err := cfg.cell(s, nem, level)
					if err != nil {
						return nil, err
					}
					c.Seed = cfg.FirstSeed + int64(i)
					jobs = append(jobs, job{cell: cell, slot: i, cfg: c, s: s})
				}
			}
		}
	}

	if cfg.Costs {
		// Cost runs are numbered after the cells, for the shards' split.
		for i, s := range cfg.Strategies {
			if !cfg.Shard.Has(index + i) {
				continue
			}
			cell := &Cell{Strategy: s.Name, Nemesis: "none", Runs: make([]Run, 1)}
			m.Costs = append(m.Costs, cell)
			c := cfg.Base
			c.Nemesis, c.LatencyDist, c.Seed, c.Strategy = nil, "constant", cfg.FirstSeed, s
			if err := c.Validate(); err != nil {
				return nil, err
			}
			jobs = append(jobs, job{cell: cell, cfg: c, s: s})
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
	for _, c := range m.Costs {
		summarize(c)
	}
	m.WallS = time.Since(start).Seconds()
	return m, nil
}

// baseRecord is the record of the configuration every cell shares: the
// base after validation, without the nemesis, seed and node the cells set.
func baseRecord(cfg Config) reports.RunConfig {
	c := cfg.Base
	if len(cfg.Strategies) > 0 {
		c.Strategy = cfg.Strategies[0]
		_ = c.Validate() // fills the derived defaults; Execute reports errors per cell
	}
	r := c.Record()
	r.Node, r.Nemesis, r.Seed = "", []string{}, 0
	return r
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
	r.P50, r.P99 = res.Latency.Overall.P50, res.Latency.Overall.P99
	r.MsgsPerOp, r.ServerPerOp = res.Messages.PerOp, res.Messages.ServerPerOp
	if t := res.Transactions; t != nil {
		r.Txn = &TxnFigures{CommittedPerS: t.CommittedPerS, AbortRate: t.AbortRate, Aborts: t.Aborts,
			RestartsPerCommit: t.RestartsPerCommit, MessagesPerCommit: t.MessagesPerCommit,
			CommitP50: t.Commit.P50, CommitP99: t.Commit.P99}
	}
	if c := res.Commit; c != nil {
		r.Commit = &CommitFigures{BlockedS: c.Blocked.Total(), BlockedDuringS: c.Blocked.During, BlockedAfterS: c.Blocked.After,
			BlockedMaxS: c.BlockedMaxS, BlockedAtEnd: c.BlockedAtEnd, InDoubtS: c.InDoubt.Total(),
			WritersPerCommit: c.WritersPerCommit, DecideDelays: c.DecideDelays, LearnDelays: c.LearnDelays,
			MessagesPerCommit: c.MessagesPerCommit, ForcedWritesPerCommit: c.ForcedWritesPerCommit,
			AbortRate: c.AbortRate, Aborts: c.Aborts}
		if a := res.AvailabilityDuringFaults; a != nil {
			r.Commit.AvailabilityDuringFaults = *a
		}
	}
	if err != nil {
		r.Valid, r.Error = checkers.Unknown, err.Error()
	}
	// The anomaly is the summary of a check that decided the verdict: an
	// invalid one rather than one that could not tell.
	for _, c := range res.Checks {
		if c.Valid == r.Valid && c.Valid != checkers.Valid {
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
	avail, withAvail := 0.0, 0
	for i, r := range c.Runs {
		verdicts[i] = r.Valid
		if r.Availability != nil {
			avail += *r.Availability
			withAvail++
		}
		c.P50 += r.P50 / n
		c.P99 += r.P99 / n
		c.MsgsPerOp += r.MsgsPerOp / n
		c.ServerPerOp += r.ServerPerOp / n
		if r.Txn != nil {
			if c.Txn == nil {
				c.Txn = &TxnFigures{Aborts: map[string]int{}}
			}
			t := c.Txn
			t.CommittedPerS += r.Txn.CommittedPerS / n
			t.AbortRate += r.Txn.AbortRate / n
			t.RestartsPerCommit += r.Txn.RestartsPerCommit / n
			t.MessagesPerCommit += r.Txn.MessagesPerCommit / n
			t.CommitP50 += r.Txn.CommitP50 / n
			t.CommitP99 += r.Txn.CommitP99 / n
			for cause, k := range r.Txn.Aborts {
				t.Aborts[cause] += k // totals over the seeds
			}
		}
		if r.Commit != nil {
			if c.Commit == nil {
				c.Commit = &CommitFigures{Aborts: map[string]int{}}
			}
			c.Commit.add(r.Commit, n)
		}
	}
	if withAvail > 0 {
		mean := avail / float64(withAvail)
		c.Availability = &mean
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

// add adds a run's figures to a cell's: means over n runs, totals of the
// aborts, and the worst blocking.
func (c *CommitFigures) add(r *CommitFigures, n float64) {
	c.BlockedS += r.BlockedS / n
	c.BlockedDuringS += r.BlockedDuringS / n
	c.BlockedAfterS += r.BlockedAfterS / n
	c.BlockedMaxS = max(c.BlockedMaxS, r.BlockedMaxS)
	c.BlockedAtEnd = max(c.BlockedAtEnd, r.BlockedAtEnd)
	c.InDoubtS += r.InDoubtS / n
	c.AvailabilityDuringFaults += r.AvailabilityDuringFaults / n
	c.WritersPerCommit += r.WritersPerCommit / n
	c.DecideDelays += r.DecideDelays / n
	c.LearnDelays += r.LearnDelays / n
	c.MessagesPerCommit += r.MessagesPerCommit / n
	c.ForcedWritesPerCommit += r.ForcedWritesPerCommit / n
	c.AbortRate += r.AbortRate / n
	for cause, k := range r.Aborts {
		c.Aborts[cause] += k
	}
}
