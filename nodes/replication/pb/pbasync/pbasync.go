// Package pbasync is pb-async: primary-backup replication in which the
// primary acknowledges a write as soon as it has applied and synced it
// itself, and ships updates to the backups in the background, in a batch
// every heartbeat tick (50 ms), as asynchronous log shipping does
// (Tanenbaum and van Steen's non-blocking primary-backup; DDIA's
// asynchronous leader-based replication). Everything else is pb-sync's
// (package pb): reads at the primary, forwarding, heartbeat failover.
//
// Expected behaviour, per fault (Expect has the references):
//
//   - none, clock: linearizable: every read and write goes through the one
//     primary, which has every acknowledged write.
//   - kill: not linearizable: when the primary crashes, the writes it
//     acknowledged since its last shipment are on no backup; the backup that
//     takes over never had them (lost acknowledged writes).
//   - partition, pause, packet: not linearizable, as pb-sync (split brain);
//     a takeover also loses the unshipped writes, as under kill.
//
// What the harness catches, in seeds 1-10 of 30 s runs (5 nodes, 100 ops/s,
// 5 ms exponential latency, faults every 5 s, 2 s client timeout):
// partition 10, pause 5, packet 5, kill 3; none and clock 0.
package pbasync

import (
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/pb"
)

// New returns a pb-async node.
func New() nodes.Node { return pb.New(pb.Async) }

// Expect is what the literature says pb-async does under each fault.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "every operation is executed by the one primary, which holds every write it acknowledged",
		Reference: pb.Tanenbaum + " (non-blocking variant)"},
	{Nemesis: "partition", Safe: false,
		Reason:    "as pb-sync: the cut-off primary and a promoted backup both serve (split brain), and the loser's acknowledged writes are lost on healing",
		Reference: pb.DDIA + ", ch. 5 \"Handling Node Outages\" (split brain)"},
	{Nemesis: "kill", Safe: false,
		Reason:    "the primary acknowledges before the backups have the write; when it crashes, the backup that takes over lacks the writes acknowledged since the last shipment, which are lost",
		Reference: pb.DDIA + ", ch. 5 \"Synchronous Versus Asynchronous Replication\" and \"Handling Node Outages\"; " + pb.Tanenbaum},
	{Nemesis: "pause", Safe: false,
		Reason:    "a paused primary is replaced, resumes believing it is primary and answers from its stale copy until a backup refuses it",
		Reference: pb.DDIA + ", ch. 8 \"Process Pauses\""},
	{Nemesis: "packet", Safe: false,
		Reason:    "a burst of losses on the primary's links longer than the failure detector's timeout makes a backup suspect a live primary and promote itself: two primaries, and the takeover loses the writes not yet shipped",
		Reference: pb.Budhiraja + " (omission failures)"},
	{Nemesis: "clock", Safe: true,
		Reason:    "only timer durations are used, never clock readings",
		Reference: pb.Budhiraja},
}

// Strategy describes pb-async for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:    "pb-async",
		Group:   "replication",
		Summary: "primary-backup: primary acks writes before the backups have them (shipped every 50 ms); loses acknowledged writes on failover",
		New:     New,
		Expect:  Expect,
	}
}
