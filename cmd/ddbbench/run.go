package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/reports"
)

// runFlags are the flags of `ddbbench run`, in the units users type.
type runFlags struct {
	node, workload, latencyDist, nemesis, concurrency, mix, keyDist, store string
	nodeCount, keyCount                                                    int
	timeLimit, rate, latencyMS, nemesisInterval, opTimeout, recovery       float64
	loss, dup                                                              float64
	checkTimeout                                                           time.Duration
	seed                                                                   int64
	loseUnsynced, quiet                                                    bool
}

func (f *runFlags) register(cmd *cobra.Command) {
	d := harness.Defaults()
	fs := cmd.Flags()
	fs.StringVar(&f.node, "node", "", "reference strategy to run (see `ddbbench list`)")
	fs.StringVarP(&f.workload, "workload", "w", d.Workload, "workload to run")
	fs.IntVar(&f.nodeCount, "node-count", d.NodeCount, "number of server nodes, n0..n{N-1}")
	fs.Float64Var(&f.timeLimit, "time-limit", d.TimeLimit.Seconds(), "seconds of load (virtual seconds in the simulator)")
	fs.Float64Var(&f.rate, "rate", d.Rate, "operations per second across all clients, open loop")
	fs.StringVar(&f.concurrency, "concurrency", "2n", "number of clients: a count, or a multiple of the node count like 2n")
	fs.Float64Var(&f.latencyMS, "latency", 5, "mean network latency between nodes, in ms (Maelstrom's default is 0, which makes every protocol cost nothing in the simulator)")
	fs.StringVar(&f.latencyDist, "latency-dist", d.LatencyDist, "latency distribution: constant, uniform or exponential")
	fs.StringVar(&f.nemesis, "nemesis", "none", "comma-separated faults to inject (see `ddbbench list`)")
	fs.Float64Var(&f.nemesisInterval, "nemesis-interval", d.NemesisInterval.Seconds(), "seconds between a fault's start and stop, and between faults")
	fs.Int64Var(&f.seed, "seed", 0, "seed for every random choice; the same seed gives the same history (default: random, and printed)")
	fs.StringVar(&f.store, "store", "store", "directory that keeps every run's results")
	fs.IntVar(&f.keyCount, "key-count", d.Register.Keys, "register workload: number of keys")
	fs.StringVar(&f.mix, "mix", "1:1:1", "register workload: read:write:cas weights")
	fs.StringVar(&f.keyDist, "key-dist", "uniform", "register workload: key choice, uniform or zipf")
	fs.Float64Var(&f.opTimeout, "op-timeout", d.OpTimeout.Seconds(), "seconds a client waits for a reply before recording the operation as indefinite")
	fs.Float64Var(&f.recovery, "recovery", d.Recovery.Seconds(), "seconds of quiet after healing, before the final reads")
	fs.Float64Var(&f.loss, "loss", 0, "probability a message between nodes is lost")
	fs.Float64Var(&f.dup, "dup", 0, "probability a message between nodes is delivered twice")
	fs.BoolVar(&f.loseUnsynced, "lose-unsynced", false, "a killed node also loses store writes it did not sync")
	fs.DurationVar(&f.checkTimeout, "check-timeout", d.CheckTimeout, "time budget for the linearizability check; past it the verdict is unknown")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress line")
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// config turns flags into a harness configuration.
func (f *runFlags) config(cmd *cobra.Command) (harness.Config, error) {
	c := harness.Defaults()
	c.Node, c.Workload, c.NodeCount = f.node, f.workload, f.nodeCount
	c.TimeLimit, c.Rate = seconds(f.timeLimit), f.rate
	c.Latency, c.LatencyDist = time.Duration(f.latencyMS*float64(time.Millisecond)), f.latencyDist
	c.NemesisInterval, c.OpTimeout, c.Recovery = seconds(f.nemesisInterval), seconds(f.opTimeout), seconds(f.recovery)
	c.Loss, c.Dup, c.LoseUnsynced, c.CheckTimeout = f.loss, f.dup, f.loseUnsynced, f.checkTimeout
	if c.Node == "" {
		return c, fmt.Errorf("%w: --node is required (see `ddbbench list`)", harness.ErrBadConfig)
	}
	for _, k := range strings.Split(f.nemesis, ",") {
		if k = strings.TrimSpace(k); k != "" && k != "none" {
			c.Nemesis = append(c.Nemesis, k)
		}
	}
	n, err := parseConcurrency(f.concurrency, f.nodeCount)
	if err != nil {
		return c, err
	}
	c.Concurrency = n
	c.Register.Keys = f.keyCount
	if c.Register.Reads, c.Register.Writes, c.Register.CASes, err = parseMix(f.mix); err != nil {
		return c, err
	}
	switch f.keyDist {
	case "uniform":
	case "zipf":
		c.Register.Zipf = true
	default:
		return c, fmt.Errorf("%w: --key-dist must be uniform or zipf, got %q", harness.ErrBadConfig, f.keyDist)
	}
	c.Seed = f.seed
	if !cmd.Flags().Changed("seed") {
		c.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	return c, c.Validate()
}

// parseConcurrency accepts Maelstrom's forms: "10" or "2n" (twice the nodes).
func parseConcurrency(s string, nodes int) (int, error) {
	mult := strings.HasSuffix(s, "n")
	n, err := strconv.Atoi(strings.TrimSuffix(s, "n"))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: --concurrency must be a positive count or a multiple like 2n, got %q", harness.ErrBadConfig, s)
	}
	if mult {
		n *= nodes
	}
	return n, nil
}

func parseMix(s string) (r, w, c int, err error) {
	parts := strings.Split(s, ":")
	vals := make([]int, len(parts))
	for i, p := range parts {
		vals[i], err = strconv.Atoi(p)
		if err != nil {
			break
		}
	}
	if len(parts) != 3 || err != nil {
		return 0, 0, 0, fmt.Errorf("%w: --mix must be three weights read:write:cas like 2:1:1, got %q", harness.ErrBadConfig, s)
	}
	return vals[0], vals[1], vals[2], nil
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run --node NAME [flags]",
		Short: "Run one test of a reference strategy in the simulator",
		Long: `Run one test: start --node-count nodes of the strategy in the deterministic
simulator, drive the workload at --rate operations per second for --time-limit
seconds while the nemesis injects faults, heal, wait --recovery seconds, run
the final reads, then check the history and write the results.

Example:
  ddbbench run --node single -w register --node-count 3 --time-limit 30 --rate 200 --seed 7`,
		Args: cobra.NoArgs,
		RunE: started(func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(cmd)
			if err != nil {
				return err
			}
			return runAndReport(cmd.Context(), cfg, f.store, f.quiet, cmd.OutOrStdout(), cmd.ErrOrStderr())
		}),
	}
	f.register(cmd)
	return cmd
}

// runAndReport runs cfg, writes its results and turns the verdict into the
// exit code. Ctrl-C stops the run; what it recorded is still checked and
// written.
func runAndReport(ctx context.Context, cfg harness.Config, store string, quiet bool, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	startedAt := time.Now()
	bar := newProgressLine(stderr, quiet)
	out, err := harness.Simulate(ctx, cfg, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	dir, err := reports.NewRunDir(store, cfg.Name(), startedAt)
	if err != nil {
		return &exitError{code: exitInternal, err: err}
	}
	run := harness.Check(out)
	run.Results.StartedAt = startedAt.UTC().Format(time.RFC3339)
	if err := reports.Write(dir, run); err != nil {
		return &exitError{code: exitInternal, err: fmt.Errorf("writing results to %s: %w", dir, err)}
	}
	fmt.Fprint(stdout, reports.Summary(&run.Results, dir))
	return verdictExit(run.Results.Valid.ExitCode())
}

func verdictExit(code int) error {
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}
