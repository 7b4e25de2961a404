package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/catalog"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/suite"
)

func newSuiteCmd() *cobra.Command {
	var (
		seeds, nodeCount, parallel, hunt                     int
		timeLimit, rate, latencyMS, interval, recovery       float64
		opTimeout                                            float64
		nemeses, only, store, latencyDist, contention, shard string
		firstSeed                                            int64
		quiet                                                bool
	)
	cmd := &cobra.Command{
		Use:   "suite GROUP",
		Short: "Run every strategy of a group under every nemesis and compare with the literature",
		Long: `Run every strategy of GROUP (replication, locking, deadlock, ...) under each nemesis for --seeds seeds,
in parallel up to the core count, and print a matrix: for each strategy and
nemesis the verdict (valid in all seeds, or the first seed that failed and
the anomaly), availability, p50/p99 latency and messages per operation.
A group of transactional strategies (deadlock) runs every cell at each
contention level of the bank workload and adds a table comparing committed
throughput, abort rates and restarts without faults.

Finding a violation is a search: a cell the literature calls unsafe that
its --seeds did not catch gets up to --hunt more seeds, and the matrix says
how many were tried.

Each strategy declares its expected verdict per nemesis, with the reason and
a reference. The suite exits 1 when an observation contradicts an
expectation: a safe strategy that failed, or an unsafe one that was not
caught in any seed. The matrix is written as Markdown and JSON to the store.

--shard I/N runs one of N parts of the suite (I from 0 to N-1), the same
split on every machine, so that N machines share a suite; 'ddbbench suite
merge DIR...' joins their results into the matrix, report and exit code of
the whole suite (see docs/scale-out.md).

Examples:
  ddbbench suite replication --seeds 2 --time-limit 20
  ddbbench suite replication --seeds 2 --time-limit 20 --shard 0/4 --store shard0`,
		Args: cobra.ExactArgs(1),
		RunE: started(func(cmd *cobra.Command, args []string) error {
			group, err := catalog.LookupGroup(args[0])
			if err != nil {
				return fmt.Errorf("%w: %v", harness.ErrBadConfig, err)
			}
			strategies, err := pickStrategies(group.Name, only)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("nemesis") {
				nemeses = strings.Join(group.Nemeses, ",")
			}
			if !cmd.Flags().Changed("rate") && group.Rate > 0 {
				rate = group.Rate
			}
			if !cmd.Flags().Changed("contention") {
				contention = strings.Join(group.Contention, ",")
			}
			base := harness.Defaults()
			base.NodeCount, base.Rate = nodeCount, rate
			base.TimeLimit, base.NemesisInterval, base.Recovery = seconds(timeLimit), seconds(interval), seconds(recovery)
			base.Latency = time.Duration(latencyMS * float64(time.Millisecond))
			base.LatencyDist = latencyDist
			base.OpTimeout = seconds(opTimeout)
			nems, levels := splitList(nemeses), splitList(contention)
			part, err := parseShard(shard)
			if err != nil {
				return err
			}
			cfg := suite.Config{
				Strategies: strategies, Nemeses: nems, Seeds: seeds, FirstSeed: firstSeed, Base: base, Parallel: parallel, Hunt: hunt,
				Group: group.Name, Shard: part,
				Contention: levels, Costs: group.Costs,
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			if err := checkStore(store); err != nil {
				return err
			}
			for _, w := range cfg.Warnings() {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			bar := newProgressLine(cmd.ErrOrStderr(), quiet)
			m, err := suite.Execute(ctx, cfg, func(done, total int) {
				bar.update(harness.Progress{Phase: "suite", Now: time.Duration(done) * time.Second, TimeLimit: time.Duration(total) * time.Second, Completed: done})
			})
			bar.done()
			if err != nil {
				return err
			}
			name := "suite-" + group.Name
			if m.Shard != nil {
				name += fmt.Sprintf("-shard-%d-of-%d", m.Shard.Index, m.Shard.Count)
			}
			return writeMatrix(cmd, store, name, m, strategies)
		}),
	}
	cmd.AddCommand(newSuiteMergeCmd())
	fs := cmd.Flags()
	fs.IntVar(&seeds, "seeds", 2, "seeds per strategy and nemesis (1, 2, ...)")
	fs.IntVar(&hunt, "hunt", 50, "more seeds, at most, for a cell the literature calls unsafe until a violation is caught")
	fs.Int64Var(&firstSeed, "first-seed", 1, "the first seed; the others follow it")
	fs.StringVar(&nemeses, "nemesis", "", "comma-separated `NAMES` of nemeses; none is the fault-free baseline (default: the group's, for replication "+strings.Join(suite.DefaultNemeses, ",")+")")
	fs.StringVar(&only, "node", "", "comma-separated `NAMES` of the group's strategies to run (default: all)")
	fs.StringVar(&contention, "contention", "", "comma-separated bank contention `LEVELS`, low and high (default: the group's; deadlock runs both)")
	fs.IntVar(&nodeCount, "node-count", 5, "server nodes per run")
	fs.Float64Var(&timeLimit, "time-limit", 30, "virtual seconds of load per run")
	fs.Float64Var(&rate, "rate", 100, "operations per second (default: the group's, 50 for locking and commit, else 100)")
	fs.Float64Var(&latencyMS, "latency", 5, "mean network latency between nodes, in ms")
	// Constant latency delivers a message to every replica at the same
	// instant, which hides the races replication protocols have.
	fs.StringVar(&latencyDist, "latency-dist", "exponential", "latency distribution: constant, uniform or exponential")
	fs.Float64Var(&interval, "nemesis-interval", 5, "seconds between a fault's start and stop")
	fs.Float64Var(&recovery, "recovery", 10, "seconds of quiet after healing, before final reads")
	// A client timeout shorter than a fault window keeps clients issuing
	// operations through the fault, so what a faulty node answers is seen.
	fs.Float64Var(&opTimeout, "op-timeout", 2, "seconds a client waits for a reply")
	fs.IntVar(&parallel, "parallel", 0, "runs at once (default: one per core)")
	fs.StringVar(&store, "store", "store", "directory that keeps results")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no progress line")
	fs.StringVar(&shard, "shard", "", "run only part I of N of the suite's cells (I/N, I from 0 to N-1), for 'suite merge'")
	cmd.ValidArgsFunction = completeNames(groupNames)
	_ = cmd.RegisterFlagCompletionFunc("node", completeList(groupStrategyNames(cmd)))
	_ = cmd.RegisterFlagCompletionFunc("nemesis", completeList(nemesisNames))
	_ = cmd.RegisterFlagCompletionFunc("contention", completeList(contentionLevels))
	return cmd
}

func newSuiteMergeCmd() *cobra.Command {
	var store string
	cmd := &cobra.Command{
		Use:   "merge DIR...",
		Short: "Join the results of a suite's shards into the whole suite's matrix",
		Long: `Join the matrices that 'ddbbench suite GROUP --shard I/N' wrote on one or
more machines into the matrix the unsharded suite gives: the same cells,
report and exit code (1 when a cell contradicts its expectation). Each DIR
is a shard's results directory, or a directory holding them (a store, or
downloaded artifacts). Every shard must be there, once.

Example:
  ddbbench suite merge shard0/latest shard1/latest shard2/latest shard3/latest`,
		Args: cobra.MinimumNArgs(1),
		RunE: started(func(cmd *cobra.Command, args []string) error {
			shards, err := suite.ReadShards(args)
			if err != nil {
				return err
			}
			m, err := suite.Merge(shards)
			if err != nil {
				return err
			}
			var strategies []nodes.Strategy
			for _, name := range m.Strategies {
				s, err := catalog.Lookup(name)
				if err != nil {
					return fmt.Errorf("%w: %v", harness.ErrBadConfig, err)
				}
				strategies = append(strategies, s)
			}
			return writeMatrix(cmd, store, "suite-"+m.Group, m, strategies)
		}),
	}
	cmd.Flags().StringVar(&store, "store", "store", "directory that keeps results")
	return cmd
}

// writeMatrix writes a suite's matrix to a new directory of the store,
// points latest at it, prints it, and exits 1 when a cell contradicts its
// expectation.
func writeMatrix(cmd *cobra.Command, store, name string, m *suite.Matrix, strategies []nodes.Strategy) error {
	dir, err := reports.NewRunDir(store, name, time.Now())
	if err != nil {
		return &exitError{code: exitInternal, err: err}
	}
	if err := suite.WriteFiles(dir, m, strategies); err != nil {
		return &exitError{code: exitInternal, err: fmt.Errorf("writing the matrix to %s: %w", dir, err)}
	}
	reports.PointLatest(store, dir)
	fmt.Fprint(cmd.OutOrStdout(), m.Markdown())
	if cmp := m.TxnMarkdown(); cmp != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "\nWithout faults, per contention level:\n\n%s", cmp)
	}
	if cm := m.CommitMarkdown(); cm != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "\nBlocking, per nemesis:\n\n%s", cm)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "results: %s\n", dir)
	if m.Disagree > 0 {
		return &exitError{code: exitInvalid, err: fmt.Errorf("%d cells contradict their strategy's expected verdict", m.Disagree)}
	}
	return nil
}

// parseShard reads --shard I/N; "" is the whole suite.
func parseShard(s string) (suite.Shard, error) {
	if s == "" {
		return suite.Shard{}, nil
	}
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil {
		return suite.Shard{}, fmt.Errorf("%w: --shard must be I/N, like 0/4, got %q", harness.ErrBadConfig, s)
	}
	sh := suite.Shard{Index: index, Count: count}
	if count < 1 {
		return sh, fmt.Errorf("%w: --shard %s: N must be at least 1", harness.ErrBadConfig, s)
	}
	return sh, sh.Validate()
}

// pickStrategies returns the strategies of group that --node names (all
// of them when it is empty), refusing a name that is not in the group.
func pickStrategies(group, only string) ([]nodes.Strategy, error) {
	members := catalog.InGroup(group)
	if only == "" {
		return members, nil
	}
	var names []string
	for _, s := range members {
		names = append(names, s.Name)
	}
	var picked []nodes.Strategy
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		i := slices.Index(names, name)
		if i < 0 {
			what := "unknown strategy"
			if _, err := catalog.Lookup(name); err == nil {
				what = "not in group " + group
			}
			return nil, fmt.Errorf("%w: --node %s: %s %q (group %s has: %s)", harness.ErrBadConfig, only, what, name, group, strings.Join(names, ", "))
		}
		if !slices.ContainsFunc(picked, func(s nodes.Strategy) bool { return s.Name == name }) {
			picked = append(picked, members[i])
		}
	}
	return picked, nil
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
