// Package catalog lists the reference strategies by name.
package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/broadcast/gossip"
	"github.com/ddbbench/ddbbench/nodes/commit"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
	"github.com/ddbbench/ddbbench/nodes/locking/central"
	"github.com/ddbbench/ddbbench/nodes/locking/centralbackup"
	"github.com/ddbbench/ddbbench/nodes/locking/lease"
	"github.com/ddbbench/ddbbench/nodes/locking/primarycopy"
	"github.com/ddbbench/ddbbench/nodes/locking/raftlock"
	"github.com/ddbbench/ddbbench/nodes/locking/redlock"
	"github.com/ddbbench/ddbbench/nodes/locking/voting"
	"github.com/ddbbench/ddbbench/nodes/replication/chain"
	"github.com/ddbbench/ddbbench/nodes/replication/local"
	"github.com/ddbbench/ddbbench/nodes/replication/lww"
	"github.com/ddbbench/ddbbench/nodes/replication/pb/pbasync"
	"github.com/ddbbench/ddbbench/nodes/replication/pb/pbreadreplica"
	"github.com/ddbbench/ddbbench/nodes/replication/pb/pbsync"
	"github.com/ddbbench/ddbbench/nodes/replication/quorum"
	"github.com/ddbbench/ddbbench/nodes/replication/raft"
	"github.com/ddbbench/ddbbench/nodes/replication/single"
	"github.com/ddbbench/ddbbench/nodes/txn/datomic"
	"github.com/ddbbench/ddbbench/nodes/txn/txnlocal"
	"github.com/ddbbench/ddbbench/nodes/txn/txnsingle"
	"github.com/ddbbench/ddbbench/workloads/bank"
)

var strategies = slices.Concat([]nodes.Strategy{
	{Name: "single", Group: "replication", New: single.New, Expect: single.Expect,
		Summary: "one copy on n0, synced before acknowledging; other nodes forward to it"},
	pbsync.Strategy(),
	pbasync.Strategy(),
	pbreadreplica.Strategy(),
	quorum.Strategy(),
	chain.Strategy(),
	raft.Strategy(),
	lww.Strategy(),
	central.Strategy(),
	centralbackup.Strategy(),
	primarycopy.Strategy(),
	voting.Strategy(),
	lease.Strategy(),
	lease.FencedStrategy(),
	redlock.Strategy(),
	raftlock.Strategy(),
	{Name: "local", Group: "control", New: local.New, Expect: local.Expect,
		Summary: "negative control: each node serves its own unreplicated copy (not linearizable)"},
	txnsingle.Strategy(),
	txnlocal.Strategy(),
	datomic.Strategy(),
	gossip.Strategy(),
}, deadlock.Strategies(), commit.Strategies())

// Group is a family of strategies that `ddbbench suite GROUP` compares.
type Group struct {
	Name    string
	Summary string
	// Nemeses are the faults the group's suite runs by default; "none" is
	// the fault-free baseline.
	Nemeses []string
	// Rate is the suite's default load for the group, operations a second
	// (0: the suite's own default).
	Rate float64
	// Contention are the bank workload's contention levels the suite
	// compares (bank.Levels); nil for groups that do not use it.
	Contention []string
	// Costs adds a fault-free, constant-latency run per strategy to the
	// suite, whose protocol costs are exact in message delays.
	Costs bool
}

var groups = []Group{
	{Name: "replication", Summary: "replicated registers: single copy, primary-backup, quorum, chain, Raft, last-writer-wins",
		Nemeses: []string{"none", "partition", "kill", "pause", "packet", "clock"}},
	// Locking runs 50 acquisitions a second: with four locks in use and a
	// critical section that reaches the resource across the network, that
	// keeps the locks contended without saturating them.
	{Name: "locking", Summary: "distributed lock services: primary site, primary copy, voting, leases, Redlock, a lock on Raft; mutual exclusion checked at a protected resource",
		Nemeses: []string{"none", "partition", "kill", "pause", "packet", "clock"}, Rate: 50},
	{Name: "control", Summary: "negative controls that every checker must catch",
		Nemeses: []string{"none"}},
	{Name: "deadlock", Summary: "distributed strict 2PL over a sharded store under six deadlock policies, on the bank workload at two contention levels",
		Nemeses: []string{"none", "kill", "partition"}, Contention: bank.Levels},
	{Name: "commit", Summary: "atomic commitment over a sharded store: two-phase, three-phase, Paxos Commit, sagas and a one-round negative control, checked for atomicity and isolation, with blocking and costs measured",
		// Half the suite's usual load: strict 2PL holds a commit's locks
		// through its protocol's rounds, and at 100 transactions a second
		// on ten hot keys two-phase commit saturates, which would bury
		// the protocols' differences in queueing.
		Nemeses: []string{"none", "partition", "kill", "kill-coordinator", "pause", "packet"}, Rate: 50, Costs: true},
	{Name: "transactions", Summary: "transactional stores checked by Elle: single serial copy, Datomic-style transactor, totally available local copies",
		Nemeses: []string{"none", "partition", "kill", "pause", "packet", "clock"}},
	{Name: "broadcast", Summary: "Maelstrom's broadcast: every acknowledged message reaches every node",
		Nemeses: []string{"none", "partition", "kill", "pause", "packet"}},
}

// Groups lists the strategy groups, in catalog order.
func Groups() []Group { return groups }

// LookupGroup finds a group by name; the error lists the valid names.
func LookupGroup(name string) (Group, error) {
	var names []string
	for _, g := range groups {
		if g.Name == name {
			return g, nil
		}
		names = append(names, g.Name)
	}
	return Group{}, fmt.Errorf("unknown group %q (valid: %s)", name, strings.Join(names, ", "))
}

// InGroup returns the strategies of a group, in catalog order.
func InGroup(name string) []nodes.Strategy {
	var out []nodes.Strategy
	for _, s := range strategies {
		if s.Group == name {
			out = append(out, s)
		}
	}
	return out
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
