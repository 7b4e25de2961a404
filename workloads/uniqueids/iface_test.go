package uniqueids

import "github.com/ddbbench/ddbbench/workloads"

var _ workloads.Workload = (*Workload)(nil)
