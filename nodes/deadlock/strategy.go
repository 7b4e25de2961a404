package deadlock

import (
	"time"

	"github.com/ddbbench/ddbbench/nodes"
)

// References.
const (
	RSL         = "Rosenkrantz, Stearns & Lewis, System Level Concurrency Control for Distributed Database Systems, ACM TODS 3(2), 1978"
	CMH         = "Chandy, Misra & Haas, Distributed Deadlock Detection, ACM TOCS 1(2), 1983"
	OzsuV       = "Özsu & Valduriez, Principles of Distributed Database Systems, 3rd ed. (2011)"
	ElmasriN    = "Elmasri & Navathe, Fundamentals of Database Systems, 7th ed. (2016), ch. 21 and 23"
	BHG         = "Bernstein, Hadzilacos & Goodman, Concurrency Control and Recovery in Database Systems (1987)"
	Knapp       = "Knapp, Deadlock Detection in Distributed Databases, ACM Computing Surveys 19(4), 1987"
	commitIssue = "atomic commitment is issue 12"
)

// Policy constants.
const (
	// LockTimeout is 2pl-timeout's one constant: long enough for a
	// transaction ahead in the queue to finish its few round trips, short
	// enough that a deadlock costs little.
	LockTimeout = 100 * time.Millisecond
	// DetectionPeriod is how often 2pl-detect-central's detection site
	// collects the wait-for edges.
	DetectionPeriod = 100 * time.Millisecond
)

// The faults the deadlock suite runs, shared by every policy.
var (
	killUnsafe = nodes.Expectation{Nemesis: "kill", Safe: false,
		Reason:    "the one-round commit is not atomic and lock tables are volatile: a coordinator that crashes while its transaction holds locks leaves them held forever (waiters behind them never finish), and a participant that crashes forgets its locks, so a transaction that still believes it holds them applies values another transaction has meanwhile read or replaced",
		Reference: BHG + ", ch. 7 (a site failure during commit needs an atomic commitment protocol); " + OzsuV + ", ch. 12 (reliability and atomic commitment); " + commitIssue}
	safeNone = func(why string, refs string) nodes.Expectation {
		return nodes.Expectation{Nemesis: "none", Safe: true, Reason: why, Reference: refs}
	}
	partitionHeals = func(why string, refs string) nodes.Expectation {
		return nodes.Expectation{Nemesis: "partition", Safe: true, Reason: why, Reference: refs}
	}
)

// Strategies are the six deadlock policies over the same engine.
func Strategies() []nodes.Strategy {
	strategy := func(name, summary string, p Policy, expect []nodes.Expectation) nodes.Strategy {
		return nodes.Strategy{Name: name, Group: "deadlock", Summary: summary, Workload: "bank", Expect: expect,
			New: func() nodes.Node { return NewNode(p) }}
	}
	retransmit := "requests between coordinator and participants are repeated until answered, so a partition delays transactions without losing them; once it heals they proceed"
	return []nodes.Strategy{
		strategy("2pl-wait", "strict 2PL over a sharded store; a conflicting request waits forever (deadlocks)", Wait{}, []nodes.Expectation{
			{Nemesis: "none", Safe: false,
				Reason:    "transactions lock their keys in no agreed order, so two can each hold what the other wants: a cycle in the wait-for graph that nothing breaks, and every transaction that later needs those keys joins the wait",
				Reference: BHG + ", §3.4 (deadlocks); " + OzsuV + ", §11.6 (deadlock management)"},
			{Nemesis: "partition", Safe: false, Reason: "deadlocks form as they do without faults; a partition only adds waits", Reference: BHG + ", §3.4"},
			{Nemesis: "kill", Safe: false, Reason: "deadlocks form as they do without faults; " + killUnsafe.Reason, Reference: killUnsafe.Reference},
		}),
		strategy("2pl-timeout", "strict 2PL; a request waits at most 100 ms, then its transaction aborts and restarts", Timeout{After: LockTimeout}, []nodes.Expectation{
			safeNone("no wait outlasts the timeout, so no deadlock lasts; aborted attempts restart until one gets through, at the price of aborting waits that were no deadlock", BHG+", §3.4 (timeout-based detection); "+OzsuV+", §11.6"),
			partitionHeals("every wait ends within the timeout; "+retransmit, BHG+", §3.4"),
			killUnsafe,
		}),
		strategy("2pl-wait-die", "strict 2PL with wait-die: an older requester waits, a younger one dies and restarts with its timestamp", WaitDie{}, []nodes.Expectation{
			safeNone("waits only ever go from older to younger transactions, so the wait-for graph has no cycle; a restarted transaction keeps its timestamp and, once the oldest, never dies, so none starves", RSL+" (wait-die); "+OzsuV+", §11.6.2"),
			partitionHeals("no cycle can form whatever the delays; "+retransmit, RSL),
			killUnsafe,
		}),
		strategy("2pl-wound-wait", "strict 2PL with wound-wait: an older requester wounds (aborts) a younger holder; a younger requester waits", WoundWait{}, []nodes.Expectation{
			safeNone("waits only ever go from younger to older transactions, so the wait-for graph has no cycle; the oldest transaction is never wounded, so none starves", RSL+" (wound-wait); "+OzsuV+", §11.6.2; "+ElmasriN),
			partitionHeals("no cycle can form: a wound lost in the partition is repeated until the wounded transaction's coordinator answers, as the paper's reliable messages are; "+retransmit, RSL),
			killUnsafe,
		}),
		strategy("2pl-detect-central", "strict 2PL; every 100 ms n0 collects the sites' wait-for edges and aborts the youngest transaction on each cycle", Central{Period: DetectionPeriod}, []nodes.Expectation{
			safeNone("the detection site sees every site's edges each round, finds every cycle and breaks it; edges collected at different moments can show a cycle that no longer exists (a phantom deadlock), which costs an abort, not correctness", OzsuV+", §11.6.3 (centralized detection, phantom deadlocks); "+ElmasriN),
			partitionHeals("while the detection site is cut off the deadlocks on the far side go undetected, but the rounds go on: the first round after the partition heals sees every edge again and breaks the cycles, within the liveness bound", OzsuV+", §11.6.3 (the central site is a single point of failure while it is unreachable)"),
			killUnsafe,
		}),
		strategy("2pl-detect-edge-chasing", "strict 2PL with Chandy-Misra-Haas probes along wait-for edges; a probe back at its initiator aborts it", EdgeChasing{}, []nodes.Expectation{
			safeNone("the wait that closes a cycle sends a probe that follows every edge of it back to its sender, which aborts itself; other initiators on the same cycle may find it too and abort for a cycle already broken, which costs aborts, not correctness", CMH+" (probe computation in the resource model); "+Knapp),
			{Nemesis: "partition", Safe: false,
				Reason:    "probes are sent once, when a wait begins; one lost in the partition leaves its deadlock undetected for good, since no later probe retraces the cycle, and the transactions on it never finish",
				Reference: CMH + " (assumes messages are not lost); " + Knapp + " (correctness of probe algorithms); " + OzsuV + ", §11.6.3"},
			killUnsafe,
		}),
	}
}
