package centralbackup

import "github.com/ddbbench/ddbbench/nodes"

const elmasri = "Elmasri & Navathe, Fundamentals of Database Systems (7th ed., 2016), ch. 23, Primary Site with Backup Site"

// Expect is what primary site locking with a backup site does under each
// fault: it survives crashes, which it was designed for, and splits into
// two managers whenever n0 is silenced without stopping.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true,
		Reason:    "one acting manager grants each lock to one owner at a time, and records the grant at the backup before answering",
		Reference: elmasri},
	{Nemesis: "partition", Safe: false,
		Reason:    "a timeout cannot tell a cut-off primary from a crashed one: the backup takes over while n0 still grants to the clients on its side, two managers grant the same locks, and when they meet the backup's grants are forgotten",
		Reference: elmasri + " (assumes site failures, not partitions); Kleppmann, Designing Data-Intensive Applications (2017), ch. 8 \"The Truth Is Defined by the Majority\" (split brain)"},
	{Nemesis: "kill", Safe: true,
		Reason:    "the backup has every acknowledged grant when it takes over, and a restarted primary takes the backup's table back before granting",
		Reference: elmasri + " (the backup takes over when the primary fails)"},
	{Nemesis: "pause", Safe: false,
		Reason:    "a paused n0 is taken for failed and replaced; when it resumes it still acts as manager and grants the requests queued meanwhile from its stale table while the backup's holders are in their critical sections",
		Reference: "Kleppmann, Designing Data-Intensive Applications (2017), ch. 8 \"Process Pauses\"; " + elmasri},
	{Nemesis: "packet", Safe: false,
		Reason:    "a loss burst longer than the 150 ms failure detector on n0's links makes the backup take over a live primary: two managers until it hears n0 again; omission failures break a protocol built for crash failures",
		Reference: "Budhiraja, Marzullo, Schneider & Toueg, The Primary-Backup Approach (in Mullender, ed., Distributed Systems, 2nd ed., 1993, ch. 8) (omission failures need more than crash failures)"},
	{Nemesis: "clock", Safe: true,
		Reason:    "the failure detector counts timer ticks and no lease is used: skewed clocks change no decision",
		Reference: elmasri},
}

// Strategy describes primary site locking with a backup site.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name:        "central-backup",
		Group:       "locking",
		Workload:    "lock",
		Summary:     "primary site with backup: n0 grants once n1 has the change; n1 takes over after 150 ms without n0's heartbeats",
		New:         New,
		Expect:      Expect,
		TargetRoles: []string{"manager"},
	}
}
