package harness

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/linearizable"
	lockcheck "github.com/ddbbench/ddbbench/checkers/lock"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/runtime/services"
	"github.com/ddbbench/ddbbench/workloads"
	"github.com/ddbbench/ddbbench/workloads/bank"
	"github.com/ddbbench/ddbbench/workloads/broadcast"
	"github.com/ddbbench/ddbbench/workloads/echo"
	"github.com/ddbbench/ddbbench/workloads/gcounter"
	"github.com/ddbbench/ddbbench/workloads/gset"
	"github.com/ddbbench/ddbbench/workloads/kafka"
	"github.com/ddbbench/ddbbench/workloads/lock"
	"github.com/ddbbench/ddbbench/workloads/pncounter"
	"github.com/ddbbench/ddbbench/workloads/register"
	"github.com/ddbbench/ddbbench/workloads/txns"
	"github.com/ddbbench/ddbbench/workloads/uniqueids"
)

// workloadSpec pairs a workload with the checkers that judge its history.
type workloadSpec struct {
	summary  string
	build    func(c *Config) workloads.Workload
	checkers func(c *Config) []checkers.Checker
	validate func(c *Config) error // nil: nothing to check

	// The rest is for workloads that need more than that; nil or "" when
	// not.
	//
	// services are services the workload's clients use, added beside
	// Maelstrom's for its runs.
	services func(c *Config) map[string]func() nodes.Node
	// outcomeCheckers judge with more of the run than its history: the
	// fault windows, the message counts.
	outcomeCheckers func(out *Outcome) []checkers.Checker
	// holderRole is the role a client reports while it holds something a
	// fault can take from it; process faults then reach clients too (see
	// nemesis.Nemesis.Clients).
	holderRole string
	// headline replaces the run's headline figures (availability, latency
	// overall and by phase, messages per operation) with the workload's
	// own, once the checks have run.
	headline func(r *reports.Results)
	// aborts, for transactional workloads, reads the attempts a store
	// aborted from an operation's result. Their runs are also checked for
	// liveness and measured with the transaction statistics.
	aborts func(*history.Op) []txn.Abort
}

// maelstromSpec describes one of Maelstrom's workloads, whose packages share
// the shape New(cfg), Checkers(cfg) and Config.Validate.
func maelstromSpec[C interface{ Validate() error }, W workloads.Workload](summary string, config func(c *Config) C, build func(C) W, check func(C) []checkers.Checker) workloadSpec {
	return workloadSpec{
		summary:  summary,
		build:    func(c *Config) workloads.Workload { return build(config(c)) },
		checkers: func(c *Config) []checkers.Checker { return check(config(c)) },
		validate: func(c *Config) error { return config(c).Validate() },
	}
}

var workloadSpecs = map[string]workloadSpec{
	"lin-kv": {
		summary: "Maelstrom's lin-kv: the register workload without final reads, as Maelstrom runs it",
		build: func(c *Config) workloads.Workload {
			rc := c.Register
			rc.FinalReads = false
			return register.New(rc)
		},
		checkers: registerSpec.checkers,
	},
	"register": registerSpec,
	"echo": maelstromSpec("Maelstrom's echo: every reply echoes its request",
		func(*Config) echo.Config { return echo.DefaultConfig() }, echo.New, echo.Checkers),
	"unique-ids": maelstromSpec("Maelstrom's unique-ids: every generated id is distinct",
		func(*Config) uniqueids.Config { return uniqueids.DefaultConfig() }, uniqueids.New, uniqueids.Checkers),
	"broadcast": maelstromSpec("Maelstrom's broadcast: every acknowledged message reaches every node (--topology)",
		func(c *Config) broadcast.Config {
			b := broadcast.DefaultConfig()
			if c.Topology != "" {
				b.Topology = c.Topology
			}
			return b
		}, broadcast.New, broadcast.Checkers),
	"g-set": maelstromSpec("Maelstrom's g-set: a grow-only set; acknowledged adds appear in final reads",
		func(*Config) gset.Config { return gset.DefaultConfig() }, gset.New, gset.Checkers),
	"g-counter": maelstromSpec("Maelstrom's g-counter: final reads equal the acknowledged adds plus some indefinite ones",
		func(*Config) gcounter.Config { return gcounter.DefaultConfig() }, gcounter.New, gcounter.Checkers),
	"pn-counter": maelstromSpec("Maelstrom's pn-counter: a counter with increments and decrements",
		func(*Config) pncounter.Config { return pncounter.DefaultConfig() }, pncounter.New, pncounter.Checkers),
	"bank": {
		summary:  "Jepsen's bank: transfers between accounts spread over the nodes, reads of every balance; the total never changes",
		build:    func(c *Config) workloads.Workload { return bank.New(c.Bank) },
		checkers: func(c *Config) []checkers.Checker { return bank.Checkers(c.Bank) },
		validate: func(c *Config) error { return c.Bank.Validate() },
		aborts:   bank.Aborts,
	},
	"kafka": maelstromSpec("Maelstrom's kafka: replicated logs; lost writes, offset and poll anomalies",
		func(c *Config) kafka.Config {
			k := kafka.DefaultConfig()
			k.StrictCommits = c.KafkaStrictCommits
			return k
		}, kafka.New, kafka.Checkers),
	txns.ListAppend: txnSpec(txns.ListAppend, `Maelstrom's txn-list-append: {"type":"txn","txn":[["r",1,null],["append",2,3]]} answered txn_ok with the reads filled in`),
	txns.RWRegister: txnSpec(txns.RWRegister, `Maelstrom's txn-rw-register: {"type":"txn","txn":[["r",1,null],["w",2,3]]} answered txn_ok with the reads filled in`),
	"lock":          lockSpec,
}

// txnSpec is one of the transactional workloads; the flags of both (key
// count, transaction length, writes per key, models) live in Config.Txn.
func txnSpec(kind, summary string) workloadSpec {
	d := txns.DefaultConfig()
	summary += fmt.Sprintf("; checked by Elle for --consistency-models (default %s); --key-count %d, --max-txn-length %d, --max-writes-per-key %d (docs/transactions.md)",
		strings.Join(d.Models, ","), d.Keys, d.MaxTxnLength, d.MaxWritesPerKey)
	return maelstromSpec(summary,
		func(c *Config) txns.Config {
			t := c.Txn
			t.Kind = kind
			return t
		}, txns.New, txns.Checkers)
}

// lockSpec is the lock workload: acquisitions, critical sections on the
// protected resource, releases (docs/locking.md).
var lockSpec = workloadSpec{
	summary: "acquire named locks, read-increment-write a protected resource while holding one, release; mutual exclusion and the lock service checked (docs/locking.md)",
	build:   func(c *Config) workloads.Workload { return lock.New(c.Lock) },
	checkers: func(c *Config) []checkers.Checker {
		return []checkers.Checker{
			lockcheck.MutualExclusion(),
			lockcheck.Service(lockcheck.ServiceOptions{Timeout: c.CheckTimeout, Fencing: c.Lock.Fencing}),
		}
	},
	validate: func(c *Config) error { return c.Lock.Validate() },
	services: func(c *Config) map[string]func() nodes.Node {
		return map[string]func() nodes.Node{maelstrom.ResourceID: services.NewResource(c.Lock.Fencing)}
	},
	outcomeCheckers: func(out *Outcome) []checkers.Checker {
		m := out.Messages
		return []checkers.Checker{lockcheck.Stats(lockcheck.StatsOptions{Faults: out.Faults, ServerMessages: m.ServerServer + m.ServerService})}
	},
	holderRole: lock.HolderRole,
	headline:   lockHeadline,
}

// lockHeadline makes a lock run's headline figures per acquisition, which
// is what a lock service is compared on: availability is the share of
// acquisitions granted, latency runs from an acquisition's arrival to its
// grant, and messages are counted per acquisition. The per-operation
// figures stay in stats and latency.by_f.
func lockHeadline(r *reports.Results) {
	for _, c := range r.Checks {
		f, ok := c.Evidence.(lockcheck.Figures)
		if !ok {
			continue
		}
		r.Availability, r.AvailabilityDuringFaults = f.Availability, f.AvailabilityDuringFaults
		r.Latency.Overall, r.Latency.ByPhase = f.Latency, f.LatencyByPhase
		m := &r.Messages
		m.Operations = f.Acquisitions
		if f.Acquisitions > 0 {
			m.PerOp = float64(m.Total) / float64(f.Acquisitions)
			m.ServerPerOp = float64(m.ServerToServer+m.ServerService) / float64(f.Acquisitions)
		}
		return
	}
}

var registerSpec = workloadSpec{
	summary: "read/write/cas on integer keys (Maelstrom's lin-kv schema), checked for linearizability",
	build:   func(c *Config) workloads.Workload { return register.New(c.Register) },
	checkers: func(c *Config) []checkers.Checker {
		return []checkers.Checker{linearizable.New(linearizable.Options{Timeout: c.CheckTimeout, Progress: c.CheckProgress})}
	},
}

// WorkloadNames lists the workloads, sorted.
func WorkloadNames() []string {
	names := make([]string, 0, len(workloadSpecs))
	for n := range workloadSpecs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// WorkloadSummary is a workload's one-line description.
func WorkloadSummary(name string) string { return workloadSpecs[name].summary }
