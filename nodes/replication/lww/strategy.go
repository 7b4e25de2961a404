package lww

import "github.com/ddbbench/ddbbench/nodes"

const (
	dynamo = "DeCandia et al., Dynamo: Amazon's Highly Available Key-value Store (SOSP 2007)"
	ddia   = "Kleppmann, Designing Data-Intensive Applications (2017)"
)

// Expect is what the literature says LWW quorum replication does under each
// fault: it is not linearizable even without faults, and every fault adds a
// way to show it.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: false,
		Reason:    "with variable network delays a read can see a write on one replica of its quorum while a later read, whose quorum the write has not reached yet, returns the old value: R+W>N makes quorums overlap, not reads linearizable",
		Reference: ddia + ", ch. 9 \"Linearizability and quorums\"; ch. 5 \"Limitations of Quorum Consistency\""},
	{Nemesis: "partition", Safe: false,
		Reason:    "a write cut off after reaching fewer than W replicas fails indefinitely but stays on those replicas, so some later reads see it and others do not; plus the fault-free anomaly",
		Reference: ddia + ", ch. 5 \"Limitations of Quorum Consistency\" (a write that succeeded on fewer than W replicas is not rolled back)"},
	{Nemesis: "kill", Safe: false,
		Reason:    "a coordinator that crashes midway leaves its write on some replicas only, seen by some reads and not others; plus the fault-free anomaly",
		Reference: ddia + ", ch. 5 \"Limitations of Quorum Consistency\""},
	{Nemesis: "pause", Safe: false,
		Reason:    "a paused replica or coordinator delivers writes and answers late, widening the window in which quorums disagree; plus the fault-free anomaly",
		Reference: ddia + ", ch. 5 \"Limitations of Quorum Consistency\"; ch. 8 \"Process Pauses\""},
	{Nemesis: "packet", Safe: false,
		Reason:    "lost and delayed messages leave writes on fewer replicas for longer, so quorums disagree more often; plus the fault-free anomaly",
		Reference: ddia + ", ch. 9 \"Linearizability and quorums\""},
	{Nemesis: "clock", Safe: false,
		Reason:    "versions are ordered by the coordinators' clocks: a write stamped by a clock that runs behind loses to an earlier write from one that runs ahead and is silently discarded, though acknowledged",
		Reference: ddia + ", ch. 8 \"Timestamps for ordering events\" (last write wins); " + dynamo + ", §4.4 (Dynamo itself uses vector clocks for this reason)"},
}

// Strategy describes LWW quorum replication for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:    "lww",
		Group:   "replication",
		Summary: "Dynamo-style leaderless quorums (N=3, R=2, W=2), last-writer-wins on coordinator clock stamps, read repair; no cas",
		New:     New,
		Expect:  Expect,
		NoCAS:   true,
	}
}
