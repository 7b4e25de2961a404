package commit

import (
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
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
	Adya99   = "Adya, Weak Consistency: A Generalized Theory and Optimistic Implementations for Distributed Transactions (1999)"
)

// Workload is the workload the commit strategies serve by default: with
// list appends, the final reads say exactly which of a transaction's
// writes are visible.
const Workload = "txn-list-append"

// Strategies are the commit protocols, for the catalog.
func Strategies() []nodes.Strategy {
	strategy := func(name, summary string, newNode func() nodes.Node, expect []nodes.Expectation, messages ...string) nodes.Strategy {
		return nodes.Strategy{Name: name, Group: "commit", Summary: summary, Workload: Workload, New: newNode, Expect: expect, ProtocolMessages: messages,
			TargetRoles: []string{deadlock.CoordinatorRole}}
	}
	safe := func(nemesis, reason, ref string) nodes.Expectation {
		return nodes.Expectation{Nemesis: nemesis, Safe: true, Reason: reason, Reference: ref}
	}
	unsafe := func(nemesis, reason, ref string) nodes.Expectation {
		return nodes.Expectation{Nemesis: nemesis, Safe: false, Reason: reason, Reference: ref}
	}
	repeated := "requests are repeated until answered, so loss, duplication and delay only delay a decision"
	return []nodes.Strategy{
		strategy("2pc", "two-phase commit with presumed abort and cooperative termination over a sharded store (strict 2PL, wound-wait); blocks while a coordinator is down",
			func() nodes.Node { return NewTwoPC() }, []nodes.Expectation{
				safe("none", "every participant votes and the coordinator's one decision reaches all; strict 2PL until the decision makes the execution strictly serializable", Gray78+"; "+MLO86+"; "+BHG),
				safe("partition", "a participant cut off after voting yes waits with its locks held rather than decide; nobody decides alone, so decisions agree: a partition costs blocking, not atomicity", BHG+", §7.4; "+OzsuV),
				safe("kill", "prepared and commit records are forced before the messages that depend on them; a participant that lost its locks votes no; a recovering participant relocks and asks; a recovering coordinator answers abort for what it has no commit record of (presumed abort)", MLO86+", §2; "+BHG+", §7.3"),
				safe("kill-coordinator", "killed with every vote in and nothing logged, the coordinator recovers with no commit record and answers abort; until then every prepared participant is blocked with its locks held, which the blocking figures show", Skeen81+" (two-phase commit blocks when its coordinator fails); "+BHG+", §7.4"),
				safe("pause", "a paused coordinator is only a slow one: the participants wait for it, or for a participant that knows", BHG+", §7.4"),
				safe("packet", repeated, BHG),
			}, "prepare", "decision", "commit", "status"),
		strategy("3pc", "Skeen's three-phase commit with the termination protocol that elects a new coordinator; nonblocking under crashes, decides both ways under a partition",
			func() nodes.Node { return NewThreePC() }, []nodes.Expectation{
				safe("none", "no participant commits while another is uncertain; without failures it is two-phase commit with one more round", Skeen81),
				unsafe("partition", "each side takes the other for failed: the side holding a pre-committed participant, or the coordinator whose wait for acknowledgements times out, commits; the side where all are uncertain elects its own coordinator and aborts; the transaction is committed at some participants and aborted at others", Skeen81+" (assumes no network partitions); "+SkeenS83+" (no commit protocol is nonblocking under partitions); "+BHG+", §7.5; "+OzsuV+", §12.4"),
				safe("kill", "site failures are what three-phase commit was made for: the operational participants elect a coordinator and decide by Skeen's rule, a recovering site only asks, and after a total failure the sites' logs together decide once all are back", Skeen81+"; "+BHG+", §7.5"),
				safe("kill-coordinator", "killed with every vote in and no PRE-COMMIT sent, every participant is uncertain: the elected coordinator aborts, as the recovered coordinator (no pre-commit record) would; nobody blocks", Skeen81+"; "+BHG+", §7.5"),
				unsafe("pause", "a paused coordinator is taken for failed: the participants elect a new coordinator and abort; resumed, the old coordinator acts on its old view, pre-commits, times out on the acknowledgements and commits", SkeenS83+" (a timeout cannot tell a slow site from a failed one); "+BHG+", §7.5"),
				safe("packet", "loss, duplication and delay short of a partition: requests are repeated well within the timeouts, so no live site is taken for failed and Skeen's assumption, that a timeout means a failure, holds", Skeen81+" (a reliable network is assumed)"),
			}, "prepare", "precommit", "decision", "commit", "status"),
		strategy("paxos-commit", "Gray & Lamport's Paxos Commit: each participant's vote chosen by Paxos over every node as acceptor; nonblocking while a majority is up",
			func() nodes.Node { return NewPaxosCommit() }, []nodes.Expectation{
				safe("none", "the transaction commits if and only if every participant's instance chooses prepared, and each instance chooses once", GL06),
				safe("partition", "Paxos chooses one value per instance whatever messages are lost; the side without a majority of acceptors blocks until the partition heals, safely", GL06+", §4"),
				safe("kill", "acceptors force what they accept before answering, no ballot is used twice, and a new leader's phase 1 finds any value a majority accepted; with a majority killed it blocks, safely", GL06+", §§4-5"),
				safe("kill-coordinator", "the coordinator is only the first leader: killed with every instance chosen, the participants time out, run a higher ballot and learn the votes from the acceptors; nobody blocks while a majority of acceptors is up", GL06),
				safe("pause", "Paxos needs no timing assumption for safety: a paused leader's ballot is superseded, and what it sends when it resumes is refused or agrees", GL06),
				safe("packet", "Paxos tolerates lost, duplicated and reordered messages", GL06),
			}, "prepare", "p1a", "p2a", "p2b", "decision"),
		strategy("saga", "sagas (Garcia-Molina & Salem): one local transaction per site, compensations in reverse on failure; never blocks, no isolation",
			func() nodes.Node { return NewSagaNode() }, []nodes.Expectation{
				unsafe("none", "steps commit one site at a time, so others see some of a saga's steps and not the rest: two sagas over the same two sites in opposite orders each see the other first (G0, G1c), even at read committed", GMS87+" (sagas give up isolation); "+Adya99),
				unsafe("partition", "as without faults; and a step that cannot reach its site is compensated after others may have read the steps before it (G1a)", GMS87),
				unsafe("kill", "as without faults; and a saga whose coordinator crashes is compensated after others may have read its first steps (G1a)", GMS87),
				unsafe("kill-coordinator", "killed after its first step, the coordinator recovers backwards: the step others may have read is compensated (G1a), besides the anomalies seen without faults", GMS87),
				unsafe("pause", "as without faults; steps that time out are compensated after others read them", GMS87),
				unsafe("packet", "as without faults", GMS87),
			}, "step", "compensate"),
		strategy("no-commit", "negative control: writes applied one participant after another with no vote; some shards apply a transaction and others never do",
			func() nodes.Node { return NewNoCommit() }, []nodes.Expectation{
				safe("none", "without faults every apply arrives, and the strict 2PL in front of it keeps the execution strictly serializable: atomic commitment only matters when something fails", BHG),
				unsafe("partition", "an apply that cannot cross the partition is never applied while the participants before it keep theirs", BHG+", §7.1 (why atomic commitment needs a vote)"),
				unsafe("kill", "a participant that is down when its writes come never applies them while the others did; one that lost its locks in a crash applies values computed from reads others have since overwritten", BHG+", §7.1"),
				unsafe("kill-coordinator", "killed after the first participant applied, the coordinator leaves the transaction applied there and nowhere else", BHG+", §7.1"),
				unsafe("pause", "an apply to a paused participant times out and ends the transaction, half applied", BHG+", §7.1"),
				unsafe("packet", "a lost apply ends the transaction half applied", BHG+", §7.1"),
			}, "apply"),
	}
}
