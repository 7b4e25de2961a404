package primarycopy

import "github.com/ddbbench/ddbbench/nodes"

const elmasri = "Elmasri & Navathe, Fundamentals of Database Systems (7th ed., 2016), ch. 23, Primary Copy Technique"

// Expect is what the primary copy technique does under each fault: safe,
// like primary site locking, with failures costing only the locks whose
// site failed.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "each lock has one managing site, which grants it to one owner at a time",
		Reference: elmasri},
	{Nemesis: "partition", Safe: true,
		Reason:    "a site cut off from a lock's manager cannot reach the only table that has the lock: its forwards time out, and nothing else grants it",
		Reference: elmasri + " (a site's failure affects only the locks whose primary copies it holds)"},
	{Nemesis: "kill", Safe: true,
		Reason:    "each managing site syncs its table before it answers, so a restarted site knows every lock it granted",
		Reference: elmasri + "; Gray & Reuter, Transaction Processing (1993), ch. 9: write-ahead before acknowledging"},
	{Nemesis: "pause", Safe: true,
		Reason:    "a paused site resumes with its locks and nobody took them over; a paused holder keeps its lock, which blocks others but lets none in",
		Reference: elmasri + " (no backup, no takeover)"},
	{Nemesis: "packet", Safe: true,
		Reason:    "a repeated acquire by the holder gets the same grant and an owner that has released is never granted again, so duplicated and late messages change nothing",
		Reference: "Birrell & Nelson, Implementing Remote Procedure Calls (1984): at-most-once semantics"},
	{Nemesis: "clock", Safe: true,
		Reason:    "no lease and no clock reading: a lock is held until released",
		Reference: elmasri},
}

// Strategy describes the primary copy technique for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:     "primary-copy",
		Group:    "locking",
		Workload: "lock",
		Summary:  "primary copy: each lock is managed by the site its name hashes to, table synced before answering; no backup",
		New:      New,
		Expect:   Expect,
	}
}
