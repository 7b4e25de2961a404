package lease

import (
	"testing"

	"github.com/ddbbench/ddbbench/nodes/locking/internal/locktest"
)

func TestExpectations(t *testing.T) {
	locktest.RequireExpectations(t, Strategy(), "pause", "clock")
	locktest.RequireExpectations(t, FencedStrategy())
}

// Without fencing: safe where no holder stops and no clock jumps.
func TestLeaseValidUnderFaults(t *testing.T) {
	locktest.RequireValid(t, Strategy(), []string{"none", "partition", "kill", "packet"}, 3)
}

// With fencing: safe under every fault.
func TestFencedValidUnderFaults(t *testing.T) {
	locktest.RequireValid(t, FencedStrategy(), locktest.Nemeses, 3)
}

// A paused holder writes after its lease ran out: caught within a few
// seeds, as is a server clock that jumps forward.
func TestLeaseCaughtUnderPause(t *testing.T) { locktest.RequireCaught(t, Strategy(), "pause", 5) }
func TestLeaseCaughtUnderClock(t *testing.T) { locktest.RequireCaught(t, Strategy(), "clock", 5) }
