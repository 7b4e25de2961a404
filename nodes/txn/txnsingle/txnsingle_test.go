package txnsingle

import (
	"fmt"
	"testing"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes/txn/internal/txntest"
)

// One copy, synced before answering: whatever the fault, every node's
// final read sees the same lists, holding every acknowledged append once
// and no failed one. A kill that loses unsynced writes must not lose an
// acknowledged transaction; duplicated messages must not append twice.
func TestOneDurableCopy(t *testing.T) {
	for _, nem := range []string{"none", "kill", "packet-dup", "partition", "pause"} {
		for seed := int64(1); seed <= 2; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", nem, seed), func(t *testing.T) {
				t.Parallel()
				c := txntest.Config("txn-list-append", nem, seed)
				c.LoseUnsynced = true
				out, run := txntest.Run(t, Strategy(), c)
				lists := txntest.RequireConverged(t, txntest.Finals(t, out.History))
				txntest.RequireListsSound(t, out.History, lists)
				if ok := txntest.Count(out.History, history.OK, -1); ok < 1000 {
					t.Fatalf("only %d transactions acknowledged: %s", ok, txntest.Describe(run))
				}
				if nem == "none" && (run.Results.Availability == nil || *run.Results.Availability != 1) {
					t.Errorf("availability %.4f without faults", run.Results.AvailabilityOrZero())
				}
				// A forwarding node that loses n0 says it does not know.
				if n := txntest.Count(out.History, history.Fail, -1); n > 0 {
					t.Errorf("%d transactions failed definitely; txn-single never refuses one", n)
				}
				if nem == "partition" && txntest.Count(out.History, history.Info, maelstrom.Crash) == 0 {
					t.Errorf("no transaction was left indefinite by a partition from n0")
				}
			})
		}
	}
}

// Registers too: every node reads the same value, the last write n0
// executed.
func TestRegisters(t *testing.T) {
	out, _ := txntest.Run(t, Strategy(), txntest.Config("txn-rw-register", "none", 1))
	values := txntest.RequireConverged(t, txntest.Finals(t, out.History))
	written := 0
	for _, v := range values {
		if v != nil {
			written++
		}
	}
	if written < 10 {
		t.Fatalf("only %d keys hold a value after the run", written)
	}
}
