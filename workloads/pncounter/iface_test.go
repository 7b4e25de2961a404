package pncounter

import "github.com/ddbbench/ddbbench/workloads"

var (
	_ workloads.Workload = (*Workload)(nil)
	_ workloads.Preparer = (*Workload)(nil)
)
