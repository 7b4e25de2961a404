package txnlocal

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/nodes/txn/internal/txntest"
)

// Totally available, and eventually consistent: every transaction is
// answered at once, through partitions too, and once gossip is through
// every node reads the same lists, holding each acknowledged append
// exactly once even when the network duplicates gossip.
func TestTotallyAvailableAndConverges(t *testing.T) {
	for _, workload := range []string{"txn-list-append", "txn-rw-register"} {
		for _, nem := range []string{"none", "partition", "packet", "pause"} {
			t.Run(fmt.Sprintf("%s/%s", workload, nem), func(t *testing.T) {
				t.Parallel()
				out, run := txntest.Run(t, Strategy(), txntest.Config(workload, nem, 1))
				if nem != "pause" && (run.Results.Availability == nil || *run.Results.Availability != 1) {
					t.Errorf("availability %.4f, want 1: %s", run.Results.AvailabilityOrZero(), txntest.Describe(run))
				}
				finals := txntest.RequireConverged(t, txntest.Finals(t, out.History))
				if workload == "txn-list-append" {
					txntest.RequireListsSound(t, out.History, finals)
				}
			})
		}
	}
}

// A killed node comes back empty, but it never makes a list hold an
// element twice: gossip is applied once per transaction and incarnation.
func TestKillNeverDuplicates(t *testing.T) {
	out, _ := txntest.Run(t, Strategy(), txntest.Config("txn-list-append", "kill", 2))
	for _, op := range out.History {
		if op.Outcome != history.OK {
			continue
		}
		for _, m := range op.Result.(txn.Txn) {
			if l, ok := m.Value.([]int); ok && m.F == txn.Read {
				seen := map[int]bool{}
				for _, e := range l {
					if seen[e] {
						t.Fatalf("op %d read key %d as %v: element %d twice", op.Index, m.Key, l, e)
					}
					seen[e] = true
				}
			}
		}
	}
}

// The control must be stale: some read on one node misses an append that
// another node acknowledged before the read began.
func TestReadsAreStale(t *testing.T) {
	out, _ := txntest.Run(t, Strategy(), txntest.Config("txn-list-append", "none", 1))
	type ack struct {
		key, elem int
		at        int64
		node      string
	}
	var acks []ack
	stale := 0
	for _, op := range out.History { // completion order
		if op.Outcome != history.OK || op.Final {
			continue
		}
		for _, m := range op.Result.(txn.Txn) {
			if m.F != txn.Read {
				continue
			}
			for _, a := range acks {
				if a.key == m.Key && a.node != op.Node && a.at < op.Invoke && !slices.Contains(m.Value.([]int), a.elem) {
					stale++
				}
			}
		}
		for _, m := range op.Value.(txn.Txn) {
			if m.F == txn.Append {
				acks = append(acks, ack{m.Key, m.Value.(int), op.Complete, op.Node})
			}
		}
	}
	if stale == 0 {
		t.Fatal("no read missed an append acknowledged earlier on another node")
	}
	t.Logf("%d stale reads", stale)
}
