package datomic

import (
	"fmt"
	"testing"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes/txn/internal/txntest"
)

// All state is in lin-kv behind one root: every node's final read sees
// the same lists, each acknowledged append once, no append of a
// transaction that failed, whatever happens to the nodes. Concurrent
// transactions on different nodes race for the root, and the losers are
// told txn-conflict.
func TestOneRoot(t *testing.T) {
	for _, nem := range []string{"none", "kill", "pause", "partition", "packet"} {
		for seed := int64(1); seed <= 2; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", nem, seed), func(t *testing.T) {
				t.Parallel()
				c := txntest.Config("txn-list-append", nem, seed)
				c.LoseUnsynced = true
				// Every transaction writes the whole key map anew (as in the
				// tutorial), so a shorter run keeps the test quick.
				c.TimeLimit /= 2
				out, run := txntest.Run(t, Strategy(), c)
				lists := txntest.RequireConverged(t, txntest.Finals(t, out.History))
				txntest.RequireListsSound(t, out.History, lists)
				ok := txntest.Count(out.History, history.OK, -1)
				conflicts := txntest.Count(out.History, history.Fail, maelstrom.TxnConflict)
				if ok < 400 || conflicts == 0 {
					t.Fatalf("%d acknowledged, %d conflicts: %s", ok, conflicts, txntest.Describe(run))
				}
				if nem == "partition" || nem == "packet" {
					// Faults between servers do not touch a transactor.
					if info := txntest.Count(out.History, history.Info, -1); info > 0 {
						t.Errorf("%d indefinite transactions under %s", info, nem)
					}
				}
			})
		}
	}
}

func TestRegisters(t *testing.T) {
	c := txntest.Config("txn-rw-register", "kill", 1)
	c.TimeLimit /= 2
	out, _ := txntest.Run(t, Strategy(), c)
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
