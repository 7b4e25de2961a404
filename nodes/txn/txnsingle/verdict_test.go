package txnsingle

import (
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/nodes/txn/internal/txntest"
)

// Strict serializable under every fault it declares, in two seeds.
func TestExpectations(t *testing.T) {
	txntest.RequireExpectations(t, Strategy(), 2, nil)
}

// rw-register too, where Elle infers less.
func TestRegistersStrictSerializable(t *testing.T) {
	for _, nem := range []string{"none", "kill", "partition"} {
		_, run := txntest.Run(t, Strategy(), txntest.Config("txn-rw-register", nem, 1))
		txntest.RequireElle(t, run, checkers.Valid)
	}
}
