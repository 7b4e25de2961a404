// Package pbreadreplica is pb-read-replica: pb-sync's replication (the
// primary acknowledges a write once every backup has it) with reads served
// by whichever node the client talks to, from its own copy, at once
// (Tanenbaum and van Steen's primary-backup protocol with local reads;
// DDIA's read replicas). Everything else is package pb's.
//
// Expected behaviour: not linearizable under any fault, nor without one.
// A completed write is on every node, but while one is in flight the
// primary (which applied it first) and the backups that have received it
// return the new value, and the backups that have not the old one: a read
// that returns the new value followed by a read that returns the old one is
// a new-old inversion. With the default ten keys the race is rare (0 of
// seeds 1-10 with a constant 5 ms latency, 1 of 10 with exponential
// latency); with one key the harness catches it in every seed. Faults widen
// the window: with ten keys, partition 10/10, pause 10/10, packet 8/10,
// kill 6/10 (clock changes nothing: 0/10, caught with one key).
package pbreadreplica

import (
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/pb"
)

// New returns a pb-read-replica node.
func New() nodes.Node { return pb.New(pb.ReadReplica) }

const reason = "reads are answered from the local copy while updates are in flight: a read at the primary or at a backup that has the update returns the new value, and a later read at a backup that has not yet received it returns the old one"

// Expect is what the literature says pb-read-replica does under each fault:
// local reads are not linearizable even without faults, and every fault only
// widens the window.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: false, Reason: reason,
		Reference: pb.Tanenbaum + " (local reads give sequential, not linearizable, consistency); " + pb.DDIA + ", ch. 5 \"Problems with Replication Lag\""},
	{Nemesis: "partition", Safe: false, Reason: reason + "; a cut-off backup serves reads from a copy that stops changing, and the split brain of pb-sync adds lost writes",
		Reference: pb.DDIA + ", ch. 5 \"Problems with Replication Lag\" and \"Handling Node Outages\""},
	{Nemesis: "kill", Safe: false, Reason: reason + "; a restarted backup serves reads from its old copy until its snapshot arrives",
		Reference: pb.DDIA + ", ch. 5 \"Problems with Replication Lag\""},
	{Nemesis: "pause", Safe: false, Reason: reason + "; a paused backup answers the reads queued meanwhile from its old copy",
		Reference: pb.DDIA + ", ch. 5 \"Problems with Replication Lag\"; ch. 8 \"Process Pauses\""},
	{Nemesis: "packet", Safe: false, Reason: reason + "; lost and delayed updates widen the window",
		Reference: pb.DDIA + ", ch. 5 \"Problems with Replication Lag\""},
	{Nemesis: "clock", Safe: false, Reason: reason + " (clocks play no part)",
		Reference: pb.Tanenbaum},
}

// Strategy describes pb-read-replica for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:    "pb-read-replica",
		Group:   "replication",
		Summary: "primary-backup with synchronous replication but reads from any node's local copy (stale reads, not linearizable)",
		New:     New,
		Expect:  Expect,
	}
}
