package redlock

import "github.com/ddbbench/ddbbench/nodes"

const (
	redis     = "Sanfilippo, Distributed Locks with Redis (the Redlock algorithm), redis.io"
	kleppmann = "Kleppmann, How to do distributed locking (2016)"
	antirez   = "Sanfilippo, Is Redlock safe? (2016)"
)

// Expect is what Redlock does under each fault: the majority argument holds
// against crashes, partitions and lost messages; timing assumptions fail
// against pauses and clock jumps.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "two majorities of instances share one, which holds one value per key until it expires, and a holder stops within its validity",
		Reference: redis},
	{Nemesis: "partition", Safe: true,
		Reason:    "a client that cannot reach a majority does not acquire, and a key expires on the same schedule on every instance that has it",
		Reference: redis + " (safety and liveness arguments)"},
	{Nemesis: "kill", Safe: true,
		Reason:    "a restarted instance has lost its keys but answers nothing until the longest TTL it granted has passed, so it cannot hand a held lock's majority to another",
		Reference: redis + ", \"Performance, crash-recovery and fsync\" (delayed restarts); " + kleppmann + " (without them, a crash loses the lock)"},
	{Nemesis: "pause", Safe: false,
		Reason:    "a holder paused after checking its validity resumes after the keys expired and another client acquired a majority, and writes anyway",
		Reference: kleppmann + ", \"Protecting a resource with a lock\"; " + antirez + " (checking the time after acquiring does not cover a pause after the check)"},
	{Nemesis: "packet", Safe: true,
		Reason:    "a delayed grant is charged to the elapsed time and shortens the validity; lost answers leave the client short of a majority, and it unlocks",
		Reference: redis + " (step 3: elapsed time and validity)"},
	{Nemesis: "clock", Safe: false,
		Reason:    "instances expire keys by their own clocks: one that jumps forward drops a held key early and, with instances the first holder never had, gives a second client a majority; a client whose clock jumps back overstates its validity",
		Reference: kleppmann + ", \"Bad things happen with timing\" (the clock jump on node C); " + antirez + " (assumes bounded drift and no clock jumps)"},
}

// Strategy describes Redlock for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:     "redlock",
		Group:    "locking",
		Workload: "lock",
		Summary:  "Redlock: independent in-memory instances with TTLs on their own clocks; a majority within the validity time holds the lock",
		New:      New,
		Expect:   Expect,
	}
}
