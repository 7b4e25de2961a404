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
	"github.com/ddbbench/ddbbench/runtime/network"
	"github.com/ddbbench/ddbbench/workloads/register"
	"github.com/ddbbench/ddbbench/workloads/txns"
)

// Config is everything a run depends on. The same Config and Seed give the
// same history in the simulator.
type Config struct {
	// Strategy is the reference strategy to run in the simulator (unless
	// Bin is set); Node is its name, for the record.
	Strategy nodes.Strategy `json:"-"`
	Node     string         `json:"node"`
	// Workload is the workload's name; "" means the strategy's own (see
	// nodes.Strategy.Workload), which Validate fills in.
	Workload    string        `json:"workload"`
	NodeCount   int           `json:"node_count"`
	TimeLimit   time.Duration `json:"time_limit"`
	Rate        float64       `json:"rate"`        // ops/s across all clients
	Concurrency int           `json:"concurrency"` // number of clients
	Latency     time.Duration `json:"latency"`     // mean server-to-server latency
	LatencyDist string        `json:"latency_dist"`
	Loss        float64       `json:"loss,omitempty"`
	Dup         float64       `json:"dup,omitempty"`

	Nemesis         []string      `json:"nemesis"`
	NemesisInterval time.Duration `json:"nemesis_interval"`
	// LoseUnsynced makes a kill also lose store writes that were not synced.
	LoseUnsynced bool `json:"lose_unsynced,omitempty"`

	Seed         int64         `json:"seed"`
	OpTimeout    time.Duration `json:"op_timeout"`    // a client's patience per operation
	Recovery     time.Duration `json:"recovery"`      // quiet time after healing, before final reads
	CheckTimeout time.Duration `json:"check_timeout"` // linearizability check budget; past it the verdict is unknown
	// CheckProgress, when set, hears from a check that runs long (from
	// another goroutine): keys done and the key being checked longest.
	CheckProgress func(checkers.Progress) `json:"-"`

	Register register.Config `json:"register"`
	Topology string          `json:"topology,omitempty"` // broadcast: grid, line, tree2, tree3, tree4, total
	// Txn shapes txn-list-append and txn-rw-register (its Kind comes from
	// Workload).
	Txn txns.Config `json:"txn"`

	// Bin, when set, is the command (path and arguments) of a node binary
	// speaking Maelstrom's protocol: the run uses real processes in real
	// time instead of the simulator.
	Bin []string `json:"bin,omitempty"`
	// WorkDir is where a process run keeps node data and logs (the run's
	// results directory).
	WorkDir     string        `json:"-"`
	LogStderr   io.Writer     `json:"-"` // also copy node stderr here
	InitTimeout time.Duration `json:"init_timeout,omitempty"`
	// Availability, when set, makes availability a checked property: a
	// fraction of operations that must succeed, or every one with Total.
	Availability *AvailabilityRequirement `json:"availability,omitempty"`
}

// AvailabilityRequirement is Maelstrom's --availability.
type AvailabilityRequirement struct {
	Fraction float64 `json:"fraction,omitempty"`
	Total    bool    `json:"total,omitempty"`
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
		Txn:             txns.DefaultConfig(),
	}
}

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
	case c.Rate < 0:
		return badf("--rate must not be negative, got %v", c.Rate)
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
	if c.Concurrency == 0 {
		c.Concurrency = 2 * c.NodeCount
	}
	if c.CheckTimeout <= 0 {
		c.CheckTimeout = Defaults().CheckTimeout
	}
	return nil
}

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
