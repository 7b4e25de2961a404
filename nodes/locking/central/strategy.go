package central

import "github.com/ddbbench/ddbbench/nodes"

const (
	elmasri = "Elmasri & Navathe, Fundamentals of Database Systems (7th ed., 2016), ch. 23, Primary Site Technique"
	ozsu    = "Özsu & Valduriez, Principles of Distributed Database Systems (3rd ed., 2011), §11.3.1 Centralized 2PL"
)

// Expect is what primary site locking does under each fault: it stays
// safe and pays in availability.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "one lock table at one site grants each lock to one owner at a time",
		Reference: elmasri + "; " + ozsu},
	{Nemesis: "partition", Safe: true,
		Reason:    "a node cut off from n0 cannot reach the only lock table: its forwards time out (indefinite) and nothing else grants",
		Reference: elmasri + " (all lock requests go to the primary site); Gilbert & Lynch (2002): consistency over availability"},
	{Nemesis: "kill", Safe: true,
		Reason:    "n0 syncs its lock table before it answers, so a restarted n0 knows every lock it granted",
		Reference: ozsu + "; Gray & Reuter, Transaction Processing (1993), ch. 9: write-ahead before acknowledging"},
	{Nemesis: "pause", Safe: true,
		Reason:    "a paused n0 resumes with the only table and nobody took over; a paused holder keeps its lock, which blocks others but lets none in",
		Reference: elmasri + " (no failover: the primary site is a single point of failure)"},
	{Nemesis: "packet", Safe: true,
		Reason:    "a repeated acquire by the holder gets the same grant and an owner that has released is never granted again, so duplicated and late messages change nothing",
		Reference: "Birrell & Nelson, Implementing Remote Procedure Calls (1984): at-most-once semantics"},
	{Nemesis: "clock", Safe: true,
		Reason:    "no lease and no clock reading: a lock is held until released",
		Reference: ozsu},
}

// Strategy describes primary site locking for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:        "central",
		Group:       "locking",
		Workload:    "lock",
		Summary:     "primary site locking: n0 keeps the only lock table, synced before it answers; other nodes forward",
		New:         New,
		Expect:      Expect,
		TargetRoles: []string{"manager"},
	}
}
