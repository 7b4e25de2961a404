package raftlock

import "github.com/ddbbench/ddbbench/nodes"

const (
	raftPaper = "Ongaro & Ousterhout, In Search of an Understandable Consensus Algorithm (USENIX ATC 2014)"
	chubby    = "Burrows, The Chubby lock service for loosely-coupled distributed systems (OSDI 2006)"
	kleppmann = "Kleppmann, How to do distributed locking (2016)"
)

// Expect is what a lock on a Raft log does: safe under every fault.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "every server applies the same acquires and releases in log order, so the table grants a lock to one owner at a time",
		Reference: raftPaper + ", §2 and §5.4 (State Machine Safety)"},
	{Nemesis: "partition", Safe: true,
		Reason:    "a grant must be committed by a majority of the current term; a leader cut off in a minority commits nothing",
		Reference: raftPaper + ", §5.2 and §5.4"},
	{Nemesis: "kill", Safe: true,
		Reason:    "the log is on stable storage before a server answers an RPC; a restarted server rebuilds the table by applying it again",
		Reference: raftPaper + ", Figure 2 and §5.5"},
	{Nemesis: "pause", Safe: true,
		Reason:    "a paused leader resumes in a stale term and cannot commit; a paused holder keeps its lock, since no lease runs out, which blocks others but lets none in",
		Reference: raftPaper + ", §5.1; " + chubby + " (locks held until released, with sequencers)"},
	{Nemesis: "packet", Safe: true,
		Reason:    "Raft's RPCs are idempotent, duplicated commands are executed once per request, and the table answers an owner asking again as the first time",
		Reference: raftPaper + ", §5.5 and §8"},
	{Nemesis: "clock", Safe: true,
		Reason:    "no clock is read: no lease, and elections only time out",
		Reference: raftPaper + ", §5.6; " + kleppmann + " (a lock service for correctness should not rely on clocks; fence with the log index)"},
}

// Strategy describes the lock on Raft for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:     "raft-lock",
		Group:    "locking",
		Workload: "lock",
		Summary:  "a lock table on the Raft log; grants committed by a majority, fencing token = the grant's log index",
		New:      New,
		Expect:   Expect,
		Fencing:  true,
	}
}
