// Package primarycopy is the primary copy technique: every lock has its
// own managing site, chosen by hashing its name, so the lock table is
// spread over the sites instead of kept at one.
//
// Source: Elmasri & Navathe, Fundamentals of Database Systems (7th ed.,
// 2016), ch. 23, "Primary Copy Technique": the load of lock coordination
// is spread by keeping the distinguished copies of different items at
// different sites, so that a site's failure affects only the locks whose
// primary copies it holds. Stonebraker's distributed INGRES used primary copies
// the same way (Stonebraker, "Concurrency Control and Consistency of
// Multiple Copies of Data in Distributed INGRES", IEEE TSE 5(3), 1979).
//
// It is primary site locking (package central) with a site per lock: the
// site that manages a lock keeps its row in a durable table, synced before
// it answers, and the other sites forward; there is no backup. The grants
// name the managing site (granted_by), so the figures show the load spread
// over the sites.
//
// Expected behaviour: safe under every fault, for the reasons central is;
// a lock is unavailable while its managing site is down, paused or cut off
// from the client's site, and every other lock stays available.
package primarycopy

import (
	"hash/fnv"

	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/locking/central"
)

// ManagerOf is the site that manages lock: its name hashed over the sites.
func ManagerOf(lock string, nodeIDs []string) string {
	if lock == "" || len(nodeIDs) == 0 {
		return "" // no lock: no site
	}
	h := fnv.New32a()
	h.Write([]byte(lock))
	return nodeIDs[h.Sum32()%uint32(len(nodeIDs))]
}

// New returns a site.
func New() nodes.Node { return central.WithManager(ManagerOf)() }
