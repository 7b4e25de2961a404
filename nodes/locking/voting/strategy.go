package voting

import "github.com/ddbbench/ddbbench/nodes"

const (
	thomas  = "Thomas, A Majority Consensus Approach to Concurrency Control for Multiple Copy Databases, ACM TODS 4(2), 1979"
	elmasri = "Elmasri & Navathe, Fundamentals of Database Systems (7th ed., 2016), ch. 23, Distributed Concurrency Control Based on Voting"
)

// Expect is what majority voting does under each fault: safe under all of
// them, since any two majorities share a site that votes for one owner at a
// time and remembers it; faults cost availability.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "two majorities share a site, which grants its copy of the lock to one owner at a time",
		Reference: thomas + "; " + elmasri},
	{Nemesis: "partition", Safe: true,
		Reason:    "a minority side cannot gather a majority of votes and cancels; only one side of a partition can hold a majority",
		Reference: thomas + " (majority consensus tolerates partitions); " + elmasri},
	{Nemesis: "kill", Safe: true,
		Reason:    "a site syncs its vote before giving it, so a restarted site does not vote for a second owner",
		Reference: thomas + "; Gray & Reuter, Transaction Processing (1993), ch. 9: write-ahead before acknowledging"},
	{Nemesis: "pause", Safe: true,
		Reason:    "a paused site or coordinator is a slow one: nothing depends on timing, and a vote given stays given until released",
		Reference: thomas + " (no timing assumptions)"},
	{Nemesis: "packet", Safe: true,
		Reason:    "votes are granted again to the same owner, a cancelled ballot is never granted, and a released owner never again, so duplicated, late and reordered messages leave no extra vote",
		Reference: thomas + "; Birrell & Nelson, Implementing Remote Procedure Calls (1984): at-most-once semantics"},
	{Nemesis: "clock", Safe: true,
		Reason:    "no clock is read; time-outs count timer ticks and only end waiting",
		Reference: thomas},
}

// Strategy describes majority voting for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:     "voting",
		Group:    "locking",
		Workload: "lock",
		Summary:  "majority voting: every site votes on every lock; a majority of votes holds it; losers cancel and retry",
		New:      New,
		Expect:   Expect,
	}
}
