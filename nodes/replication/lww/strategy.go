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
		Reason:    "the sloppy quorum keeps every side with W nodes writable: each side writes to stand-ins of the replicas it cannot reach, and reads on one side miss writes acknowledged on the other",
		Reference: dynamo + ", §4.6 (sloppy quorum, hinted handoff: \"always writeable\"); " + ddia + ", ch. 5 \"Sloppy Quorums and Hinted Handoff\" (even with w + r > n a read may miss the latest value)"},
	{Nemesis: "kill", Safe: false,
		Reason:    "writes meant for a crashed replica go to stand-ins; when it restarts it is believed up again before the hints are handed back, so reads reaching it and another replica that missed the write return the old value; a coordinator that crashes midway leaves its write on some replicas only",
		Reference: dynamo + ", §4.6; " + ddia + ", ch. 5 \"Limitations of Quorum Consistency\""},
	{Nemesis: "pause", Safe: false,
		Reason:    "a paused replica is believed down and its writes go to stand-ins; once it answers again it is used before its hints come back, and reads that reach it and another stale replica return the old value",
		Reference: dynamo + ", §4.6; " + ddia + ", ch. 5 \"Sloppy Quorums and Hinted Handoff\"; ch. 8 \"Process Pauses\""},
	{Nemesis: "packet", Safe: false,
		Reason:    "lost and delayed messages leave writes on fewer replicas for longer, and timeouts send writes to stand-ins, so quorums disagree more often; plus the fault-free anomaly",
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
		Summary: "Dynamo-style leaderless sloppy quorums (N=3, R=2, W=2) with hinted handoff, last-writer-wins on coordinator clock stamps, read repair; no cas",
		New:     New,
		Expect:  Expect,
		NoCAS:   true,
	}
}
