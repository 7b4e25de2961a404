package lease

import "github.com/ddbbench/ddbbench/nodes"

const (
	grayCheriton = "Gray & Cheriton, Leases: An Efficient Fault-Tolerant Mechanism for Distributed File Cache Consistency (SOSP 1989)"
	chubby       = "Burrows, The Chubby lock service for loosely-coupled distributed systems (OSDI 2006)"
	kleppmann    = "Kleppmann, How to do distributed locking (2016)"
	ddia         = "Kleppmann, Designing Data-Intensive Applications (2017), ch. 8"
)

// common are the verdicts both strategies share: the faults a lease was
// designed for.
func common() []nodes.Expectation {
	return []nodes.Expectation{
		{Nemesis: "none", Safe: true,
			Reason:    "one server grants each lock to one holder at a time, and a holder stops using its lease by its own clock before the server's runs out",
			Reference: grayCheriton},
		{Nemesis: "partition", Safe: true,
			Reason:    "a holder cut off from the server needs nothing from it: its lease runs out by both clocks before the server grants the lock again, and a client that cannot reach the server gets nothing",
			Reference: grayCheriton + " (leases tolerate communication failures); " + chubby + ", §2.8"},
		{Nemesis: "kill", Safe: true,
			Reason:    "a restarted server has lost its table, so it grants nothing until the longest lease it ever granted has run out",
			Reference: chubby + ", §2.9 (a new master waits out the lease timeout); " + grayCheriton},
		{Nemesis: "packet", Safe: true,
			Reason:    "a holder counts its lease from when it sent its request, so a delayed grant only shortens it; a repeated request by the holder gets the same lease",
			Reference: grayCheriton + " (the holder's lease term starts before the server's)"},
	}
}

// Expect is what a lease without fencing does: safe while clocks keep time
// and holders do not stop, unsafe otherwise.
var Expect = append(common(),
	nodes.Expectation{Nemesis: "pause", Safe: false,
		Reason:    "a holder paused between checking its lease and writing resumes after the lease ran out and the server granted the lock to another, and writes anyway: two holders at the resource",
		Reference: kleppmann + ", \"Protecting a resource with a lock\" (the GC pause); " + ddia + ", \"Process Pauses\""},
	nodes.Expectation{Nemesis: "clock", Safe: false,
		Reason:    "the server decides expiry by its own clock: when it jumps forward every lease runs out early and the server grants the locks again while their holders are still working",
		Reference: grayCheriton + " (correctness requires bounded clock drift); " + kleppmann + ", \"Making the lock safe with fencing\" and the clock jump of its Redlock section"},
)

// ExpectFenced is what the same lease server does when its tokens fence
// the resource: safe under every fault.
var ExpectFenced = append(common(),
	nodes.Expectation{Nemesis: "pause", Safe: true,
		Reason:    "the paused holder's late access carries a lower token than the holder the lock went to, and the resource refuses it once the new holder has touched it",
		Reference: kleppmann + ", \"Making the lock safe with fencing\"; " + ddia + ", \"Fencing tokens\"; " + chubby + ", §2.4 (sequencers)"},
	nodes.Expectation{Nemesis: "clock", Safe: true,
		Reason:    "an early expiry gives the lock to a holder with a higher token, and the resource refuses the old holder's accesses after the new one's: safety no longer rests on the clocks",
		Reference: kleppmann + ", \"Making the lock safe with fencing\""},
)

// Strategy is a lease server whose holders trust their own clocks.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:        "lease",
		Group:       "locking",
		Workload:    "lock",
		Summary:     "lease server at n0: time-bounded locks expired by its clock; holders trust their own clocks, no fencing",
		New:         New,
		Expect:      Expect,
		TargetRoles: []string{"manager"},
	}
}

// FencedStrategy is the same server with its tokens checked by the
// resource.
func FencedStrategy() nodes.Strategy {
	return nodes.Strategy{
		Name:        "lease-fenced",
		Group:       "locking",
		Workload:    "lock",
		Summary:     "the lease server with fencing tokens: the protected resource refuses stale tokens",
		New:         New,
		Expect:      ExpectFenced,
		TargetRoles: []string{"manager"},
		Fencing:     true,
	}
}
