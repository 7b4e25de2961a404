package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
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
		seeds, nodeCount, parallel, hunt               int
		timeLimit, rate, latencyMS, interval, recovery float64
		opTimeout                                      float64
		nemeses, only, store, latencyDist, contention  string
		firstSeed                                      int64
		quiet                                          bool
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

Example:
  ddbbench suite replication --seeds 2 --time-limit 20`,
		Args: cobra.ExactArgs(1),
		RunE: started(func(cmd *cobra.Command, args []string) error {
			group, err := catalog.LookupGroup(args[0])
			if err != nil {
				return fmt.Errorf("%w: %v", harness.ErrBadConfig, err)
			}
			var strategies []nodes.Strategy
			for _, s := range catalog.InGroup(group.Name) {
				if only == "" || contains(strings.Split(only, ","), s.Name) {
					strategies = append(strategies, s)
				}
			}
			if len(strategies) == 0 {
				return fmt.Errorf("%w: none of --node %q is in group %s", harness.ErrBadConfig, only, group.Name)
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
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			bar := newProgressLine(cmd.ErrOrStderr(), quiet)
			m, err := suite.Execute(ctx, suite.Config{
				Strategies: strategies, Nemeses: nems, Seeds: seeds, FirstSeed: firstSeed, Base: base, Parallel: parallel, Hunt: hunt,
				Contention: levels, Costs: group.Costs,
			}, func(done, total int) {
				bar.update(harness.Progress{Phase: "suite", Now: time.Duration(done) * time.Second, TimeLimit: time.Duration(total) * time.Second, Completed: done})
			})
			bar.done()
			if err != nil {
				return err
			}
			dir, err := reports.NewRunDir(store, "suite-"+args[0], time.Now())
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
		}),
	}
	fs := cmd.Flags()
	fs.IntVar(&seeds, "seeds", 2, "seeds per strategy and nemesis (1, 2, ...)")
	fs.IntVar(&hunt, "hunt", 50, "more seeds, at most, for a cell the literature calls unsafe until a violation is caught")
	fs.Int64Var(&firstSeed, "first-seed", 1, "the first seed; the others follow it")
	fs.StringVar(&nemeses, "nemesis", "", "comma-separated nemeses; none is the fault-free baseline (default: the group's, for replication "+strings.Join(suite.DefaultNemeses, ",")+")")
	fs.StringVar(&only, "node", "", "comma-separated strategies of the group to run (default: all)")
	fs.StringVar(&contention, "contention", "", "comma-separated bank contention levels, low and high (default: the group's; deadlock runs both)")
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
	return cmd
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}
