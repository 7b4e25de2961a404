package harness

import (
	"sort"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/linearizable"
	"github.com/ddbbench/ddbbench/workloads"
	"github.com/ddbbench/ddbbench/workloads/register"
)

// workloadSpec pairs a workload with the checkers that judge its history.
type workloadSpec struct {
	summary  string
	build    func(c *Config) workloads.Workload
	checkers func(c *Config) []checkers.Checker
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
}

var registerSpec = workloadSpec{
	summary: "read/write/cas on integer keys (Maelstrom's lin-kv schema), checked for linearizability",
	build:   func(c *Config) workloads.Workload { return register.New(c.Register) },
	checkers: func(c *Config) []checkers.Checker {
		return []checkers.Checker{linearizable.New(linearizable.Options{Timeout: c.CheckTimeout})}
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
