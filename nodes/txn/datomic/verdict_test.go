package datomic

import (
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes/txn/internal/txntest"
)

// Strict serializable under every fault it declares. Every transaction
// rewrites the whole key map, so runs are shortened to keep the test quick.
func TestExpectations(t *testing.T) {
	txntest.RequireExpectations(t, Strategy(), 1, func(c *harness.Config) { c.TimeLimit /= 2 })
}

func TestRegistersStrictSerializable(t *testing.T) {
	c := txntest.Config("txn-rw-register", "kill", 1)
	c.TimeLimit /= 2
	_, run := txntest.Run(t, Strategy(), c)
	txntest.RequireElle(t, run, checkers.Valid)
}
