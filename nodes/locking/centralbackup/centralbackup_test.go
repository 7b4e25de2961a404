package centralbackup

import (
	"testing"

	"github.com/ddbbench/ddbbench/nodes/locking/internal/locktest"
)

func TestExpectations(t *testing.T) {
	locktest.RequireExpectations(t, Strategy(), "partition", "pause", "packet")
}

// Safe where the literature says so: no faults, crashes, clocks.
func TestValidUnderFaults(t *testing.T) {
	locktest.RequireValid(t, Strategy(), []string{"none", "kill", "clock"}, 3)
}

// Two managers at once under a partition between n0 and n1: caught within
// a few seeds, the evidence naming both holders.
func TestCaughtUnderPartition(t *testing.T) {
	locktest.RequireCaught(t, Strategy(), "partition", 5)
}
