// Package pbsync is pb-sync: primary-backup replication in which the
// primary acknowledges a write only after every backup in its view has
// applied and synced it, and serves every read itself (Budhiraja et al.'s
// blocking protocol; Tanenbaum and van Steen's remote-write protocol). The
// mechanism — forwarding, heartbeats, promotion of the lowest surviving
// backup, epochs, snapshots, recovery — is package pb's; see its
// documentation.
//
// Expected behaviour, per fault (Expect has the references):
//
//   - none, kill, clock: linearizable. Under kill the failure detector is
//     accurate, so the lowest surviving backup that takes over holds every
//     acknowledged write (each was on every member of the view before it
//     was acknowledged, and nodes leave the view only by crashing and come
//     back only through a snapshot). Clocks are never read, only timers.
//   - partition, pause, packet: not linearizable. A backup that stops
//     hearing a live primary promotes itself with no agreement from anyone:
//     two primaries serve at once until the old one is refused by a backup.
//     Under packet faults it takes a burst of losses on the primary's links
//     longer than the 150 ms timeout, which the packet nemesis's bursty
//     loss produces now and then.
//
// What the harness catches, in seeds 1-10 of 30 s runs (5 nodes, 100 ops/s,
// 5 ms exponential latency, faults every 5 s, 2 s client timeout):
// partition 10, pause 6, packet 2; none, kill and clock 0. Only requests
// that reach the paused primary after the takeover can return stale data,
// and a client has one request outstanding at a time, so pause is caught
// only when the client timeout is shorter than the pause (with the
// harness's default 5 s timeout and 5 s pauses: never).
package pbsync

import (
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/pb"
)

// New returns a pb-sync node.
func New() nodes.Node { return pb.New(pb.Sync) }

// Expect is what the literature says pb-sync does under each fault.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "one primary orders every update and acknowledges a write only once every backup has it; reads at the primary wait for earlier writes to the key, so they never see a write that is not yet on every backup",
		Reference: pb.Budhiraja + "; " + pb.Tanenbaum + " (remote-write protocol)"},
	{Nemesis: "partition", Safe: false,
		Reason:    "a timeout cannot tell a cut-off primary from a crashed one: the other side promotes a backup while the old primary, alone in its view, keeps acknowledging writes and serving reads (split brain); on healing the lower epoch steps down and loses what it acknowledged",
		Reference: pb.Budhiraja + " (assumes a synchronous system in which timeouts detect only crashes); " + pb.DDIA + ", ch. 5 \"Handling Node Outages\" (split brain)"},
	{Nemesis: "kill", Safe: true,
		Reason:    "crashes are detected accurately and every acknowledged write is synced on every member of the view, so the lowest surviving member that takes over has it; a restarted node rejoins only through a snapshot",
		Reference: pb.Budhiraja + " (tolerates crash failures with n > f replicas)"},
	{Nemesis: "pause", Safe: false,
		Reason:    "a paused primary is suspected and replaced; when it resumes it still believes it is primary and answers requests that reached it meanwhile from its stale copy until a backup refuses it",
		Reference: pb.DDIA + ", ch. 8 \"Process Pauses\"; " + pb.Budhiraja + " (timeouts must bound every delay)"},
	{Nemesis: "packet", Safe: false,
		Reason:    "a burst of losses on the primary's links longer than the failure detector's timeout makes a backup suspect a live primary and promote itself: two primaries until the old one is refused; omission failures break the crash-failure protocol",
		Reference: pb.Budhiraja + " (omission failures need more replicas and a different protocol than crash failures)"},
	{Nemesis: "clock", Safe: true,
		Reason:    "the failure detector counts timer ticks and never reads the clock; skewing a clock's offset changes no decision",
		Reference: pb.Budhiraja + " (correctness rests on bounded delays, not synchronized clocks)"},
}

// Strategy describes pb-sync for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:    "pb-sync",
		Group:   "replication",
		Summary: "primary-backup: primary acks writes once every backup has them, serves reads; heartbeat failover to the lowest surviving id, no consensus",
		New:     New,
		Expect:  Expect,
	}
}
