package commit

import (
	"github.com/ddbbench/ddbbench/nodes"
)

// References.
const (
	Gray78   = "Gray, Notes on Data Base Operating Systems (1978)"
	MLO86    = "Mohan, Lindsay & Obermarck, Transaction Management in the R* Distributed Database Management System, ACM TODS 11(4), 1986"
	Skeen81  = "Skeen, Nonblocking Commit Protocols, SIGMOD 1981"
	SkeenS83 = "Skeen & Stonebraker, A Formal Model of Crash Recovery in a Distributed System, IEEE TSE 9(3), 1983"
	GL06     = "Gray & Lamport, Consensus on Transaction Commit, ACM TODS 31(1), 2006"
	GMS87    = "Garcia-Molina & Salem, Sagas, SIGMOD 1987"
	BHG      = "Bernstein, Hadzilacos & Goodman, Concurrency Control and Recovery in Database Systems (1987), ch. 7"
	OzsuV    = "Özsu & Valduriez, Principles of Distributed Database Systems, 3rd ed. (2011), ch. 12"
	ElmasriN = "Elmasri & Navathe, Fundamentals of Database Systems, 7th ed. (2016), §23.6"
	Adya99   = "Adya, Weak Consistency: A Generalized Theory and Optimistic Implementations for Distributed Transactions (1999)"
)

// Workload is the workload the commit strategies serve by default: with
// list appends, the final reads say exactly which of a transaction's
// writes are visible.
const Workload = "txn-list-append"

// Strategies are the commit protocols, for the catalog.
func Strategies() []nodes.Strategy {
	strategy := func(name, summary string, newNode func() nodes.Node, expect []nodes.Expectation, messages ...string) nodes.Strategy {
		return nodes.Strategy{Name: name, Group: "commit", Summary: summary, Workload: Workload, New: newNode, Expect: expect, ProtocolMessages: messages}
	}
	return []nodes.Strategy{
		strategy("2pc", "two-phase commit with presumed abort and cooperative termination over a sharded store (strict 2PL, wound-wait); blocks while a coordinator is down",
			func() nodes.Node { return NewTwoPC() }, nil, "prepare", "decision", "commit", "status"),
		strategy("3pc", "Skeen's three-phase commit with the termination protocol that elects a new coordinator; nonblocking under crashes, decides both ways under a partition",
			func() nodes.Node { return NewThreePC() }, nil, "prepare", "precommit", "decision", "commit", "status"),
		strategy("paxos-commit", "Gray & Lamport's Paxos Commit: each participant's vote chosen by Paxos over every node as acceptor; nonblocking while a majority is up",
			func() nodes.Node { return NewPaxosCommit() }, nil, "prepare", "p1a", "p2a", "p2b", "decision"),
		strategy("saga", "sagas (Garcia-Molina & Salem): one local transaction per site, compensations in reverse on failure; never blocks, no isolation",
			func() nodes.Node { return NewSagaNode() }, nil, "step", "compensate"),
		strategy("no-commit", "negative control: writes applied in one round with no vote; some shards apply a transaction and others never do",
			func() nodes.Node { return NewNoCommit() }, nil, "apply"),
	}
}
