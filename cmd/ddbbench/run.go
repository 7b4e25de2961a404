package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ddbbench/ddbbench/checkers/stats"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes/catalog"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/workloads/txns"
)

// runFlags are the flags of `ddbbench run` and `ddbbench test`, in the
// units users type.
type runFlags struct {
	node, runtime, bin, workload, latencyDist, nemesis, concurrency string
	mix, keyDist, store, availability, topology, nodeLogLimit       string
	contention, consistencyModels, fencing                          string
	nodeCount, keyCount, perKeyLimit, accounts, keysPerTxn          int
	maxTxnLength, maxWritesPerKey, lockCount, perLockLimit          int
	clientsPerKey, processLimit                                     int
	timeLimit, rate, latencyMS, nemesisInterval, opTimeout          float64
	zipf, readShare, holdMS, ttlMS                                  float64
	recovery, loss, dup                                             float64
	checkTimeout, initTimeout, interruptWindow                      time.Duration
	seed                                                            int64
	loseUnsynced, quiet, logStderr, kafkaStrictCommits              bool
	style                                                           commandStyle
}

// commandStyle picks a command's defaults: `run` is ddbbench's benchmark
// with defaults that make the simulator's figures meaningful; `test` takes
// Maelstrom's defaults so that Maelstrom command lines mean the same thing.
type commandStyle int

const (
	runStyle commandStyle = iota
	maelstromStyle
)

func (f *runFlags) register(cmd *cobra.Command, style commandStyle) {
	f.style = style
	d := harness.Defaults()
	workload, latency, concurrency := "", 5.0, "2n"
	if style == maelstromStyle {
		workload, latency, concurrency = "lin-kv", 0, "1n"
	}
	fs := cmd.Flags()
	if style == runStyle {
		// A back-quoted word in a flag's usage is its value name in the help.
		fs.StringVar(&f.node, "node", "", "`NAME` of the reference strategy to run (see ddbbench list)")
		fs.StringVar(&f.runtime, "runtime", "sim", "sim: the deterministic simulator; proc: each node a real process (ddbbench node NAME, or --bin)")
	}
	fs.StringVar(&f.bin, "bin", "", "node binary speaking Maelstrom's protocol; arguments after the flags go to it (runs real processes)")
	workloadHelp := "`NAME` of the workload to run (see ddbbench list)"
	if style == runStyle {
		workloadHelp += "; default: the strategy's own, register for the replication strategies"
	}
	fs.StringVarP(&f.workload, "workload", "w", workload, workloadHelp)
	fs.IntVar(&f.nodeCount, "node-count", d.NodeCount, "number of server nodes, n0..n{N-1}")
	fs.Float64Var(&f.timeLimit, "time-limit", d.TimeLimit.Seconds(), "seconds of load (virtual seconds in the simulator)")
	fs.Float64Var(&f.rate, "rate", d.Rate, "operations per second across all clients, open loop")
	fs.StringVar(&f.concurrency, "concurrency", concurrency, "number of clients: a count, or a multiple of the node count like 2n")
	fs.Float64Var(&f.latencyMS, "latency", latency, "mean network latency between nodes, in ms")
	fs.StringVar(&f.latencyDist, "latency-dist", d.LatencyDist, "latency distribution: constant, uniform or exponential")
	fs.StringVar(&f.nemesis, "nemesis", "none", "comma-separated `NAMES` of faults to inject (see ddbbench list)")
	fs.Float64Var(&f.nemesisInterval, "nemesis-interval", d.NemesisInterval.Seconds(), "seconds between a fault's start and stop, and between faults")
	fs.StringVar(&f.availability, "availability", "", "fraction of operations that must succeed (0 to 1), or total; unset: not checked")
	fs.StringVar(&f.topology, "topology", "grid", "broadcast workload: grid, line, tree2, tree3, tree4 or total")
	fs.BoolVar(&f.kafkaStrictCommits, "kafka-strict-commits", false, "kafka workload: a committed offset listed below one already acknowledged is an error (Maelstrom allows it; see docs/maelstrom.md)")
	fs.BoolVar(&f.logStderr, "log-stderr", false, "copy node processes' stderr to the terminal (it always goes to node-logs/)")
	fs.StringVar(&f.nodeLogLimit, "node-log-limit", "64MiB", "`SIZE` at which a node process's log is cut, keeping its first and last halves (like 64MiB, 500KiB, or none)")
	fs.Int64Var(&f.seed, "seed", 0, "seed for every random choice; the same seed gives the same history in the simulator (default: random, and printed)")
	fs.StringVar(&f.store, "store", "store", "directory that keeps every run's results")
	fs.IntVar(&f.clientsPerKey, "clients-per-key", d.Register.ClientsPerKey, "register workload: clients sharing a key at once, as Jepsen's independent keys; more clients mean more keys in flight (0: all on the same keys)")
	fs.IntVar(&f.keyCount, "key-count", 0, fmt.Sprintf("keys in use at once (default: the workload's: %d per group of --clients-per-key clients for register, as in Jepsen's register test; %d for txn-list-append and txn-rw-register, as in Elle's generators)", d.Register.Keys, d.Txn.Keys))
	fs.IntVar(&f.perKeyLimit, "per-key-limit", d.Register.PerKeyLimit, "register workload: operations on a key before it is retired for a fresh one (0: never)")
	fs.IntVar(&f.processLimit, "process-limit", d.Register.ProcessLimit, "register workload: retire a key once this many processes worked on it; a client continues as a new process after each timeout, so this bounds the crashed operations per key (0: never)")
	fs.StringVar(&f.mix, "mix", "1:1:1", "register workload: read:write:cas weights")
	fs.StringVar(&f.keyDist, "key-dist", "uniform", "register and lock workloads: key (lock) choice, uniform or zipf")
	fs.IntVar(&f.lockCount, "lock-count", d.Lock.Locks, "lock workload: lock names in use at once")
	fs.IntVar(&f.perLockLimit, "per-lock-limit", d.Lock.PerLockLimit, "lock workload: acquisitions of a lock name before it is retired for a fresh one (0: never)")
	fs.Float64Var(&f.holdMS, "hold", float64(d.Lock.Hold)/float64(time.Millisecond), "lock workload: ms a holder works between reading and writing the protected resource")
	fs.Float64Var(&f.ttlMS, "ttl", float64(d.Lock.TTL)/float64(time.Millisecond), "lock workload: lease length the clients ask for, in whole ms (0: none)")
	fs.StringVar(&f.fencing, "fencing", "auto", "lock workload: the protected resource refuses stale tokens: on, off, or auto (on when the strategy hands out fencing tokens)")
	fs.StringVar(&f.contention, "contention", "", "bank workload: a contention level, low or high (high is the default shape); the flags below adjust it")
	fs.IntVar(&f.accounts, "accounts", d.Bank.Accounts, "bank workload: number of accounts")
	fs.IntVar(&f.keysPerTxn, "keys-per-txn", d.Bank.KeysPerTxn, "bank workload: accounts a transfer touches (2: one from, one to)")
	fs.Float64Var(&f.zipf, "zipf", d.Bank.Zipf, "bank workload: skew of account choice, 0 (uniform) or a Zipf exponent above 1")
	fs.Float64Var(&f.readShare, "read-share", d.Bank.ReadShare, "bank workload: fraction of operations that read every balance")
	fs.StringVar(&f.consistencyModels, "consistency-models", strings.Join(d.Txn.Models, ","), "txn workloads: comma-separated consistency models to check, by Elle's names")
	fs.IntVar(&f.maxTxnLength, "max-txn-length", d.Txn.MaxTxnLength, "txn workloads: most micro-operations per transaction")
	fs.IntVar(&f.maxWritesPerKey, "max-writes-per-key", d.Txn.MaxWritesPerKey, "txn workloads: most writes (or appends) to one key before a fresh key replaces it")
	fs.Float64Var(&f.opTimeout, "op-timeout", d.OpTimeout.Seconds(), "seconds a client waits for a reply before recording the operation as indefinite")
	fs.Float64Var(&f.recovery, "recovery", d.Recovery.Seconds(), "seconds of quiet after healing, before the final reads")
	fs.Float64Var(&f.loss, "loss", 0, "probability a message between nodes is lost")
	fs.Float64Var(&f.dup, "dup", 0, "probability a message between nodes is delivered twice")
	fs.BoolVar(&f.loseUnsynced, "lose-unsynced", false, "a killed simulated node also loses store writes it did not sync")
	fs.DurationVar(&f.checkTimeout, "check-timeout", d.CheckTimeout, "time budget for the linearizability check; past it the verdict is unknown")
	fs.DurationVar(&f.initTimeout, "init-timeout", 10*time.Second, "how long a node process may take to answer init")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress line")
	// Tests (and scripts that deliver one request as a burst of signals)
	// set the window in which a second interrupt counts as the same one.
	fs.DurationVar(&f.interruptWindow, "interrupt-window", interruptWindow, "a second interrupt within this of the first is the same request")
	_ = fs.MarkHidden("interrupt-window")
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// config turns flags (and the binary's arguments) into a harness
// configuration.
func (f *runFlags) config(cmd *cobra.Command, binArgs []string) (c harness.Config, err error) {
	c = harness.Defaults()
	c.Node, c.Workload, c.NodeCount = f.node, f.workload, f.nodeCount
	c.TimeLimit, c.Rate = seconds(f.timeLimit), f.rate
	c.Latency, c.LatencyDist = time.Duration(f.latencyMS*float64(time.Millisecond)), f.latencyDist
	c.NemesisInterval, c.OpTimeout, c.Recovery = seconds(f.nemesisInterval), seconds(f.opTimeout), seconds(f.recovery)
	c.Loss, c.Dup, c.LoseUnsynced, c.CheckTimeout = f.loss, f.dup, f.loseUnsynced, f.checkTimeout
	c.InitTimeout, c.Topology = f.initTimeout, f.topology
	c.KafkaStrictCommits = f.kafkaStrictCommits
	if c.NodeLogLimit, err = parseSize(f.nodeLogLimit); err != nil {
		return c, fmt.Errorf("%w: --node-log-limit: %v", harness.ErrBadConfig, err)
	}
	if f.checkTimeout <= 0 {
		return c, fmt.Errorf("%w: --check-timeout must be positive, got %v", harness.ErrBadConfig, f.checkTimeout)
	}
	if f.logStderr {
		c.LogStderr = cmd.ErrOrStderr()
	}
	switch {
	case f.bin != "":
		c.Bin = append([]string{f.bin}, absoluteFiles(binArgs)...)
	case len(binArgs) > 0:
		return c, fmt.Errorf("%w: unexpected arguments %q (arguments for a node binary follow --bin PATH)", harness.ErrBadConfig, binArgs)
	case f.style == maelstromStyle:
		return c, fmt.Errorf("%w: say which node binary to test: --bin PATH [ARGS...], a program speaking Maelstrom's protocol (for instance --bin examples/echo.py)", harness.ErrBadConfig)
	case f.runtime == "proc":
		if c.Node == "" {
			return c, fmt.Errorf("%w: --runtime proc needs --node or --bin", harness.ErrBadConfig)
		}
		strategy, err := catalog.Lookup(c.Node)
		if err != nil {
			return c, fmt.Errorf("%w: %v", harness.ErrBadConfig, err)
		}
		if c.Workload == "" {
			c.Workload = strategy.ServedWorkload()
		}
		self, err := os.Executable()
		if err != nil {
			return c, err
		}
		c.Bin = []string{self, "node", c.Node}
	case f.runtime != "" && f.runtime != "sim":
		return c, fmt.Errorf("%w: --runtime must be sim or proc, got %q", harness.ErrBadConfig, f.runtime)
	case c.Node == "":
		return c, fmt.Errorf("%w: say which node to test: --node NAME (see `ddbbench list`) or --bin PATH", harness.ErrBadConfig)
	default:
		strategy, err := catalog.Lookup(c.Node)
		if err != nil {
			return c, fmt.Errorf("%w: %v", harness.ErrBadConfig, err)
		}
		c.Strategy = strategy
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
	if f.availability != "" {
		frac, total, err := stats.ParseAvailability(f.availability)
		if err != nil {
			return c, fmt.Errorf("%w: --availability: %v", harness.ErrBadConfig, err)
		}
		c.Availability = &harness.AvailabilityRequirement{Fraction: frac, Total: total}
	}
	c.Register.PerKeyLimit, c.Register.ClientsPerKey, c.Register.ProcessLimit = f.perKeyLimit, f.clientsPerKey, f.processLimit
	if cmd.Flags().Changed("key-count") {
		c.Register.Keys, c.Txn.Keys = f.keyCount, f.keyCount
	}
	c.Txn.MaxTxnLength, c.Txn.MaxWritesPerKey = f.maxTxnLength, f.maxWritesPerKey
	c.Txn.Models = txns.ParseModels(f.consistencyModels)
	if c.Register.Reads, c.Register.Writes, c.Register.CASes, err = parseMix(f.mix); err != nil {
		return c, err
	}
	c.Lock.Locks, c.Lock.PerLockLimit = f.lockCount, f.perLockLimit
	c.Lock.Hold = time.Duration(f.holdMS * float64(time.Millisecond))
	c.Lock.TTL = time.Duration(f.ttlMS * float64(time.Millisecond))
	c.FencingChoice = f.fencing
	switch f.keyDist {
	case "uniform":
	case "zipf":
		c.Register.Zipf, c.Lock.Zipf = true, true
	default:
		return c, fmt.Errorf("%w: --key-dist must be uniform or zipf, got %q", harness.ErrBadConfig, f.keyDist)
	}
	if f.contention != "" {
		if err := c.SetContention(f.contention); err != nil {
			return c, err
		}
	}
	for flag, set := range map[string]func(){
		"accounts":     func() { c.Bank.Accounts = f.accounts },
		"keys-per-txn": func() { c.Bank.KeysPerTxn = f.keysPerTxn },
		"zipf":         func() { c.Bank.Zipf = f.zipf },
		"read-share":   func() { c.Bank.ReadShare = f.readShare },
	} {
		if cmd.Flags().Changed(flag) {
			set()
		}
	}
	c.Seed = f.seed
	if !cmd.Flags().Changed("seed") {
		c.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	return c, nil
}

// absoluteFiles makes arguments that name existing files absolute: nodes run
// in their own data directories, where `--bin python3 node.py` would not
// find node.py. (Maelstrom leaves them as they are, and fails the same way.)
func absoluteFiles(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if strings.HasPrefix(a, "-") || filepath.IsAbs(a) {
			continue
		}
		if st, err := os.Stat(a); err == nil && !st.IsDir() {
			if abs, err := filepath.Abs(a); err == nil {
				out[i] = abs
			}
		}
	}
	return out
}

// parseSize reads a byte count: a number with an optional unit (B, KiB,
// MiB, GiB, or K, M, G for the same powers of 1024), or "none" for no
// limit (-1).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "none" {
		return -1, nil
	}
	num := strings.TrimRight(t, "BKMGikbmg ")
	unit := strings.ToUpper(strings.TrimSpace(t[len(num):]))
	shift, ok := map[string]uint{"": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20, "G": 30, "GB": 30, "GIB": 30}[unit]
	n, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || !(n >= 1) || n*float64(int64(1)<<shift) > 1<<62 {
		return 0, fmt.Errorf("want a size of at least one byte like 64MiB, 500KiB or 1048576, or none; got %q", s)
	}
	return int64(n * float64(int64(1)<<shift)), nil
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
		Short: "Run one test of a reference strategy (or any node binary)",
		Long: `Run one test: start --node-count nodes of the strategy in the deterministic
simulator, drive the workload at --rate operations per second for --time-limit
seconds while the nemesis injects faults, heal, wait --recovery seconds, run
the final reads, then check the history and write the results.

With --runtime proc each node is a real process (ddbbench node NAME), and with
--bin PATH [ARGS...] any binary speaking Maelstrom's protocol is tested.

Example:
  ddbbench run --node single -w register --node-count 3 --time-limit 30 --rate 200 --seed 7`,
		RunE: started(func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config(cmd, args)
			if err != nil {
				return err
			}
			return runAndReport(cmd.Context(), cfg, &f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		}),
	}
	f.register(cmd, runStyle)
	registerCompletions(cmd)
	return cmd
}

func newTestCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "test -w WORKLOAD --bin PATH [ARGS...] [flags]",
		Short: "Test a node binary, with maelstrom test's flags and defaults",
		Long: `Test a node binary that speaks Maelstrom's protocol, in any language: a drop-in
for 'maelstrom test'. Each node is a child process; messages between them go
through ddbbench's network model (latency, loss, partitions) in real time.

Maelstrom's flags mean the same here, with the same defaults, so a command
line from Maelstrom's documentation or the Gossip Glomers challenges works
after replacing 'maelstrom' with 'ddbbench'.

Examples:
  ddbbench test -w echo --bin ./echo.py --node-count 1 --time-limit 10
  ddbbench test -w unique-ids --bin ./ids --time-limit 30 --rate 1000 --node-count 3 --availability total --nemesis partition
  ddbbench test -w lin-kv --bin bin/ddbbench node raft --node-count 3 --time-limit 20 --nemesis partition`,
		RunE: started(func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config(cmd, args)
			if err != nil {
				return err
			}
			return runAndReport(cmd.Context(), cfg, &f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		}),
	}
	f.register(cmd, maelstromStyle)
	registerCompletions(cmd)
	return cmd
}

// runAndReport runs cfg, writes its results and turns the verdict into the
// exit code. Ctrl-C stops the run; what it recorded is still checked and
// written, and so is what a run that failed part way recorded.
func runAndReport(ctx context.Context, cfg harness.Config, f *runFlags, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stops := notifyInterrupts(f.interruptWindow)
	defer stops.Stop()
	go func() {
		select {
		case <-stops.C:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := checkStore(f.store); err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(stderr, "warning:", w)
	}
	startedAt := time.Now()
	dir, err := reports.NewRunDir(f.store, cfg.Name(), startedAt)
	if err != nil {
		return &exitError{code: exitInternal, err: err}
	}
	cfg.WorkDir = dir
	bar := newProgressLine(stderr, f.quiet)
	cfg.CheckProgress = bar.check
	out, runErr := harness.Run(ctx, cfg, bar.update)
	if out == nil {
		bar.done()
		if runErr == nil {
			runErr = errors.New("run produced no outcome")
		}
		return runErr
	}
	run := checkUnlessInterrupted(out, stops.C, stderr)
	bar.done()
	run.Results.StartedAt = startedAt.UTC().Format(time.RFC3339)
	if err := reports.Write(dir, run); err != nil {
		return &exitError{code: exitInternal, err: fmt.Errorf("writing results to %s: %w", dir, err)}
	}
	reports.PointLatest(f.store, dir)
	fmt.Fprint(stdout, reports.Summary(&run.Results, dir))
	if runErr != nil {
		return &exitError{code: exitInternal, err: runErr}
	}
	return verdictExit(run.Results.Valid.ExitCode())
}

// checkStore makes sure results can be kept in store before anything runs:
// a store that is a file or cannot be written is a bad argument, not an
// error found after the run.
func checkStore(store string) error {
	if store == "" {
		return fmt.Errorf("%w: --store must name a directory", harness.ErrBadConfig)
	}
	if st, err := os.Stat(store); err == nil && !st.IsDir() {
		return fmt.Errorf("%w: --store %s is a file, not a directory", harness.ErrBadConfig, store)
	}
	if err := os.MkdirAll(store, 0o755); err != nil {
		return fmt.Errorf("%w: --store %s cannot be created: %v", harness.ErrBadConfig, store, err)
	}
	probe, err := os.CreateTemp(store, ".write-test-")
	if err != nil {
		return fmt.Errorf("%w: --store %s is not writable: %v", harness.ErrBadConfig, store, err)
	}
	_ = probe.Close()
	_ = os.Remove(probe.Name())
	return nil
}

// checkUnlessInterrupted checks the outcome; after a Ctrl-C that cut the
// run short, a second one skips the check (which can take long on a large
// history) and keeps everything else.
func checkUnlessInterrupted(out *harness.Outcome, interrupts <-chan time.Time, stderr io.Writer) *reports.Run {
	if !out.Interrupted {
		return harness.Check(out)
	}
	fmt.Fprintf(stderr, "interrupted: checking the %d operations recorded (Ctrl-C again to skip the check)\n", len(out.History))
	checked := make(chan *reports.Run, 1)
	go func() { checked <- harness.Check(out) }()
	select {
	case run := <-checked:
		return run
	case <-interrupts:
		return harness.Unchecked(out)
	}
}

func verdictExit(code int) error {
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}
