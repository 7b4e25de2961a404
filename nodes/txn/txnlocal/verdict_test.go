package txnlocal

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/nodes/txn/internal/txntest"
)

// Caught under strict serializability (the suite's model) in every
// nemesis it declares unsafe.
func TestExpectations(t *testing.T) {
	txntest.RequireExpectations(t, Strategy(), 3, nil)
}

// What its design allows, Elle accepts, under every fault: read committed
// on registers (Gossip Glomers 6c) and read uncommitted on lists (6b's
// model); and what it does not, Elle rejects with the anomaly the package
// doc predicts.
func TestWeakModels(t *testing.T) {
	cases := []struct {
		workload, model string
		valid           bool
		anomaly         string // for an invalid verdict: named in the summary
	}{
		{"txn-rw-register", "read-committed", true, ""},
		{"txn-rw-register", "read-uncommitted", true, ""},
		{"txn-list-append", "read-uncommitted", true, ""},
		{"txn-list-append", "read-committed", false, "incompatible-order"},
		{"txn-rw-register", "serializable", false, "lost-update"},
		{"txn-list-append", "serializable", false, "G-single-item"},
		{"txn-rw-register", "snapshot-isolation", false, "lost-update"},
	}
	for _, c := range cases {
		for _, nem := range []string{"none", "partition", "kill", "pause", "packet", "clock"} {
			t.Run(fmt.Sprintf("%s/%s/%s", c.workload, c.model, nem), func(t *testing.T) {
				t.Parallel()
				_, run := txntest.Run(t, Strategy(), txntest.Config(c.workload, nem, 1, c.model))
				if c.valid {
					txntest.RequireElle(t, run, checkers.Valid)
					return
				}
				e := txntest.RequireElle(t, run, checkers.Invalid)
				if !strings.Contains(e.Summary, c.anomaly) {
					t.Fatalf("invalid, but %q is not named: %s", c.anomaly, e.Summary)
				}
			})
		}
	}
}
