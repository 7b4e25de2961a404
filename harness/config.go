// Package harness runs one test: it builds the cluster in a runtime, drives
// the workload, lets the nemesis act, then heals, recovers, runs the final
// phase, checks the history and assembles the results.
package harness

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/nemesis"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/runtime/network"
	"github.com/ddbbench/ddbbench/workloads/bank"
	"github.com/ddbbench/ddbbench/workloads/lock"
	"github.com/ddbbench/ddbbench/workloads/register"
	"github.com/ddbbench/ddbbench/workloads/txns"
)

// Config is everything a run depends on. The same Config and Seed give the
// same history in the simulator.
type Config struct {
	// Strategy is the reference strategy to run in the simulator (unless
	// Bin is set); Node is its name, for the record.
	Strategy nodes.Strategy
	Node     string
	// Workload is the workload's name; "" means the strategy's own (see
	// nodes.Strategy.Workload), which Validate fills in.
	Workload    string
	NodeCount   int
	TimeLimit   time.Duration
	Rate        float64       // ops/s across all clients
	Concurrency int           // number of clients
	Latency     time.Duration // mean server-to-server latency
	LatencyDist string
	Loss        float64
	Dup         float64

	Nemesis         []string
	NemesisInterval time.Duration
	// LoseUnsynced makes a kill also lose store writes that were not synced.
	LoseUnsynced bool

	Seed         int64
	OpTimeout    time.Duration // a client's patience per operation
	Recovery     time.Duration // quiet time after healing, before final reads
	CheckTimeout time.Duration // linearizability check budget; past it the verdict is unknown
	// CheckProgress, when set, hears from a check that runs long (from
	// another goroutine): keys done and the key being checked longest.
	CheckProgress func(checkers.Progress) `json:"-"`

	Register register.Config
	// Bank shapes the bank workload; Contention names the level it came
	// from (bank.Levels), if it came from one.
	Bank       bank.Config
	Contention string
	Topology   string // broadcast: grid, line, tree2, tree3, tree4, total
	// KafkaStrictCommits makes a committed offset listed below one already
	// acknowledged an error (Maelstrom allows it: see docs/maelstrom.md).
	KafkaStrictCommits bool
	// Txn shapes txn-list-append and txn-rw-register (its Kind comes from
	// Workload).
	Txn txns.Config
	// Lock shapes the lock workload. Its Fencing is what the run used:
	// the user's choice (FencingChoice on or off) or, by default, whether
	// the strategy hands out fencing tokens; its Patience is OpTimeout.
	Lock          lock.Config
	FencingChoice string // "", "auto", "on" or "off"

	// Bin, when set, is the command (path and arguments) of a node binary
	// speaking Maelstrom's protocol: the run uses real processes in real
	// time instead of the simulator.
	Bin []string
	// WorkDir is where a process run keeps node data and logs (the run's
	// results directory).
	WorkDir     string
	LogStderr   io.Writer // also copy node stderr here
	InitTimeout time.Duration
	// NodeLogLimit caps each node process's log, in bytes; past it the
	// first and last halves are kept (0: proc.DefaultLogLimit, negative:
	// no cap).
	NodeLogLimit int64
	// Availability, when set, makes availability a checked property: a
	// fraction of operations that must succeed, or every one with Total.
	Availability *AvailabilityRequirement
}

// AvailabilityRequirement is Maelstrom's --availability.
type AvailabilityRequirement struct {
	Fraction float64
	Total    bool
}

// Defaults are Maelstrom's where Maelstrom has one.
func Defaults() Config {
	return Config{
		NodeCount:       5,
		TimeLimit:       60 * time.Second,
		Rate:            5,
		LatencyDist:     string(network.Constant),
		NemesisInterval: 10 * time.Second,
		OpTimeout:       5 * time.Second,
		Recovery:        10 * time.Second,
		CheckTimeout:    5 * time.Minute,
		Register:        register.DefaultConfig(),
		Lock:            lock.DefaultConfig(),
		Bank:            bank.DefaultConfig(),
		Txn:             txns.DefaultConfig(),
	}
}

// MaxArrivals bounds the operations one run schedules (rate times time
// limit). Every arrival is an event and, until a client takes it, a queued
// operation: a run past this bound would take hours of arrivals in the
// simulator, or memory without end with real processes, before it could
// report anything.
const MaxArrivals = 10_000_000

// ErrBadConfig wraps every configuration error: the CLI exits 254 on it.
var ErrBadConfig = errors.New("bad arguments")

func badf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadConfig, fmt.Sprintf(format, args...))
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	if c.Strategy.New == nil && len(c.Bin) == 0 {
		return badf("no node to test: give a reference strategy or a node binary")
	}
	if c.Strategy.New != nil {
		c.Node = c.Strategy.Name
	}
	if c.Workload == "" {
		if c.Strategy.New == nil {
			return badf("say which workload to run against the binary (-w; see `ddbbench list`)")
		}
		c.Workload = c.Strategy.ServedWorkload()
	}
	if len(c.Bin) > 0 {
		for _, k := range c.Nemesis {
			if strings.HasPrefix(k, "clock") {
				return badf("the clock nemesis skews simulated clocks; it cannot change a real process's clock (use a reference node in the simulator)")
			}
			if nemesis.NeedsPhases(k) {
				return badf("the %s nemesis strikes when a node reports a protocol phase, which only reference nodes in the simulator do", k)
			}
		}
	}
	spec, ok := workloadSpecs[c.Workload]
	if !ok {
		return badf("unknown workload %q (valid: %s)", c.Workload, strings.Join(WorkloadNames(), ", "))
	}
	if spec.validate != nil {
		if err := spec.validate(c); err != nil {
			return badf("%v", err)
		}
	}
	if _, err := network.ParseDist(c.LatencyDist); err != nil {
		return badf("%v", err)
	}
	if _, err := nemesis.New(c.Nemesis, c.NemesisInterval, rand.New(rand.NewPCG(0, 0))); err != nil {
		return badf("%v", err)
	}
	switch {
	case c.NodeCount < 1:
		return badf("--node-count must be at least 1, got %d", c.NodeCount)
	case c.TimeLimit <= 0:
		return badf("--time-limit must be positive, got %v", c.TimeLimit)
	case !(c.Rate > 0): // NaN too
		return badf("--rate must be a positive number of operations per second, got %v", c.Rate)
	case c.Rate*c.TimeLimit.Seconds() > MaxArrivals:
		return badf("--rate %v for --time-limit %v schedules %.3g operations; a run schedules at most %d (lower --rate or --time-limit)",
			c.Rate, c.TimeLimit.Seconds(), c.Rate*c.TimeLimit.Seconds(), MaxArrivals)
	case c.Concurrency < 0:
		return badf("--concurrency must not be negative, got %d", c.Concurrency)
	case c.Latency < 0:
		return badf("--latency must not be negative, got %v", c.Latency)
	case c.Loss < 0 || c.Loss > 1 || c.Dup < 0 || c.Dup > 1:
		return badf("loss and duplication are probabilities in [0, 1]")
	case c.NemesisInterval <= 0:
		return badf("--nemesis-interval must be positive, got %v", c.NemesisInterval)
	case c.OpTimeout <= 0:
		return badf("--op-timeout must be positive, got %v", c.OpTimeout)
	case c.Recovery < 0:
		return badf("--recovery must not be negative, got %v", c.Recovery)
	case c.CheckTimeout < 0:
		return badf("--check-timeout must be positive, got %v", c.CheckTimeout)
	case c.InitTimeout < 0:
		return badf("--init-timeout must be positive, got %v", c.InitTimeout)
	}
	if c.Strategy.NoCAS {
		// A cas observes the register as a read does (success or failure
		// says what it held); give its share to reads, so that the share
		// of observing operations, the ones that expose anomalies, stays
		// the same (two thirds in the default mix).
		c.Register.Reads += c.Register.CASes
		c.Register.CASes = 0
		if c.Register.Reads+c.Register.Writes == 0 {
			c.Register.Reads, c.Register.Writes = 1, 1
		}
	}
	if err := c.Register.Validate(); err != nil {
		return badf("%v", err)
	}
	switch c.FencingChoice {
	case "", "auto":
		c.Lock.Fencing = c.Strategy.Fencing
	case "on", "off":
		c.Lock.Fencing = c.FencingChoice == "on"
	default:
		return badf("--fencing must be auto, on or off, got %q", c.FencingChoice)
	}
	c.Lock.Patience = c.OpTimeout
	if c.Concurrency == 0 {
		c.Concurrency = 2 * c.NodeCount
	}
	if c.CheckTimeout <= 0 {
		c.CheckTimeout = Defaults().CheckTimeout
	}
	return nil
}

// Warnings are things about a valid configuration that make a run test
// less than its user probably meant, such as a nemesis that never fires.
// Call after Validate.
func (c *Config) Warnings() []string {
	var ws []string
	nem, err := nemesis.New(c.Nemesis, c.NemesisInterval, rand.New(rand.NewPCG(0, 0)))
	if err == nil {
		for _, kind := range nem.Silent(c.TimeLimit) {
			ws = append(ws, fmt.Sprintf("nemesis %s injects nothing: its first fault would start %v into the run, and the load stops at --time-limit %v (lower --nemesis-interval or raise --time-limit)",
				kind, nem.FirstStart(kind), c.TimeLimit))
		}
	}
	return ws
}

// SetContention sets the bank workload to a named contention level.
func (c *Config) SetContention(level string) error {
	b, err := bank.Level(level)
	if err != nil {
		return badf("%v", err)
	}
	c.Bank, c.Contention = b, level
	return nil
}

// Record is the configuration as the results record it, with units.
func (c *Config) Record() reports.RunConfig {
	r := reports.RunConfig{
		Node: c.Node, Bin: c.Bin, Workload: c.Workload, NodeCount: c.NodeCount,
		TimeLimitS: c.TimeLimit.Seconds(), Rate: c.Rate, Concurrency: c.Concurrency,
		LatencyMS: ms(c.Latency), LatencyDist: c.LatencyDist, Loss: c.Loss, Dup: c.Dup,
		Nemesis: append([]string{}, c.Nemesis...), NemesisIntervalS: c.NemesisInterval.Seconds(), LoseUnsynced: c.LoseUnsynced,
		Seed: c.Seed, OpTimeoutS: c.OpTimeout.Seconds(), RecoveryS: c.Recovery.Seconds(), CheckTimeoutS: c.CheckTimeout.Seconds(),
	}
	if len(c.Bin) > 0 {
		r.Node = ""
		r.InitTimeoutS = c.InitTimeout.Seconds()
	}
	switch c.Workload {
	case "register", "lin-kv":
		g := c.Register
		r.Register = &reports.RegisterConfig{Keys: g.Keys, PerKeyLimit: g.PerKeyLimit, ClientsPerKey: g.ClientsPerKey, ProcessLimit: g.ProcessLimit,
			Mix: reports.RegisterMix{Read: g.Reads, Write: g.Writes, CAS: g.CASes}, Zipf: g.Zipf, FinalReads: g.FinalReads}
		if c.Workload == "lin-kv" {
			r.Register.FinalReads = false // lin-kv never runs them
		}
	case "broadcast":
		r.Topology = c.Topology
		if r.Topology == "" {
			r.Topology = "grid"
		}
	case "kafka":
		r.KafkaStrictCommits = c.KafkaStrictCommits
	case "bank":
		k := c.Bank
		r.Bank = &reports.BankConfig{Accounts: k.Accounts, Balance: k.Balance, MaxTransfer: k.MaxTransfer, KeysPerTxn: k.KeysPerTxn,
			ReadShare: k.ReadShare, Zipf: k.Zipf, NegativeOK: k.NegativeOK, Contention: c.Contention}
	case "lock":
		l := c.Lock
		r.Lock = &reports.LockConfig{Locks: l.Locks, PerLockLimit: l.PerLockLimit, Zipf: l.Zipf, HoldMS: ms(l.Hold), TTLMS: ms(l.TTL),
			Fencing: l.Fencing, PatienceS: l.Patience.Seconds()}
	case txns.ListAppend, txns.RWRegister:
		t := c.Txn
		r.Txn = &reports.TxnConfig{Keys: t.Keys, MinTxnLength: t.MinTxnLength, MaxTxnLength: t.MaxTxnLength,
			MaxWritesPerKey: t.MaxWritesPerKey, Models: append([]string{}, t.Models...), FinalReads: t.FinalReads}
	}
	if a := c.Availability; a != nil {
		r.Availability = &reports.Availability{Fraction: a.Fraction, Total: a.Total}
		if a.Total {
			r.Availability.Fraction = 1
		}
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Name is the run's name in the store: strategy (or binary) and workload.
func (c *Config) Name() string {
	node := c.Node
	if len(c.Bin) > 0 {
		node = filepath.Base(c.Bin[0])
		if len(c.Bin) > 2 && c.Bin[1] == "node" {
			node = c.Bin[2] // ddbbench node <strategy>
		}
	}
	return node + "-" + c.Workload
}
