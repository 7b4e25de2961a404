package raft

import "github.com/ddbbench/ddbbench/nodes"

const (
	paper  = "Ongaro & Ousterhout, In Search of an Understandable Consensus Algorithm (USENIX ATC 2014)"
	thesis = "Ongaro, Consensus: Bridging Theory and Practice (Stanford PhD thesis, 2014)"
)

// Expect is what the literature says Raft does under each fault: safe under
// all of them, since its safety argument assumes nothing about timing or
// message delivery; faults cost only availability.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "committed entries are applied in log order on every server (State Machine Safety) and reads are confirmed with ReadIndex",
		Reference: paper + ", §5.4 and Figure 3; " + thesis + ", §6.4"},
	{Nemesis: "partition", Safe: true,
		Reason:    "committing and confirming a read both need a majority of the current term, so a leader cut off in a minority can neither commit nor serve a stale read; the majority side elects a new leader",
		Reference: paper + ", §5.2, §5.4; " + thesis + ", §6.4"},
	{Nemesis: "kill", Safe: true,
		Reason:    "currentTerm, votedFor and the log are on stable storage before a server answers an RPC, so a restarted server neither votes twice in a term nor forgets an entry it acknowledged",
		Reference: paper + ", Figure 2 (persistent state) and §5.5"},
	{Nemesis: "pause", Safe: true,
		Reason:    "a paused leader resumes with a stale term: its AppendEntries are refused and its ReadIndex round cannot reach a majority of its term",
		Reference: paper + ", §5.1; " + thesis + ", §6.4"},
	{Nemesis: "packet", Safe: true,
		Reason:    "Raft assumes an asynchronous network that may lose, duplicate, delay and reorder messages; its RPCs are idempotent and duplicated commands are executed once per client request",
		Reference: paper + ", §5.5 and §8"},
	{Nemesis: "clock", Safe: true,
		Reason:    "safety must not depend on timing; clocks affect only elections (liveness) because reads use ReadIndex, not leader leases",
		Reference: paper + ", §5.6; " + thesis + ", §6.4.1 (leases depend on bounded clock drift)"},
}

// Strategy describes Raft for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:    "raft",
		Group:   "replication",
		Summary: "Raft consensus: elected leader replicates a log to a majority; ReadIndex reads, no leases",
		New:     New,
		Expect:  Expect,
	}
}
