// Package catalog lists the reference strategies by name.
package catalog

import (
	"fmt"
	"strings"

	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/chain"
	"github.com/ddbbench/ddbbench/nodes/replication/local"
	"github.com/ddbbench/ddbbench/nodes/replication/lww"
	"github.com/ddbbench/ddbbench/nodes/replication/pb/pbasync"
	"github.com/ddbbench/ddbbench/nodes/replication/pb/pbreadreplica"
	"github.com/ddbbench/ddbbench/nodes/replication/pb/pbsync"
	"github.com/ddbbench/ddbbench/nodes/replication/quorum"
	"github.com/ddbbench/ddbbench/nodes/replication/raft"
	"github.com/ddbbench/ddbbench/nodes/replication/single"
)

var strategies = []nodes.Strategy{
	{Name: "single", Group: "replication", New: single.New, Expect: single.Expect,
		Summary: "one copy on n0, synced before acknowledging; other nodes forward to it"},
	pbsync.Strategy(),
	pbasync.Strategy(),
	pbreadreplica.Strategy(),
	quorum.Strategy(),
	chain.Strategy(),
	raft.Strategy(),
	lww.Strategy(),
	{Name: "local", Group: "control", New: local.New, Expect: local.Expect,
		Summary: "negative control: each node serves its own unreplicated copy (not linearizable)"},
}

// All returns every strategy, in catalog order.
func All() []nodes.Strategy { return strategies }

// Names lists the strategy names.
func Names() []string {
	names := make([]string, len(strategies))
	for i, s := range strategies {
		names[i] = s.Name
	}
	return names
}

// Lookup finds a strategy by name; the error lists the valid names.
func Lookup(name string) (nodes.Strategy, error) {
	for _, s := range strategies {
		if s.Name == name {
			return s, nil
		}
	}
	return nodes.Strategy{}, fmt.Errorf("unknown node %q (valid: %s)", name, strings.Join(Names(), ", "))
}
