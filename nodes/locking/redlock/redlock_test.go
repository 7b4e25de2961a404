package redlock

import (
	"testing"

	"github.com/ddbbench/ddbbench/nodes/locking/internal/locktest"
)

func TestExpectations(t *testing.T) {
	locktest.RequireExpectations(t, Strategy(), "pause", "clock")
}

// Safe where timing is not at stake, over three seeds each.
func TestValidUnderFaults(t *testing.T) {
	locktest.RequireValid(t, Strategy(), []string{"none", "partition", "kill", "packet"}, 3)
}

// Kleppmann's clock jump: caught within a few seeds, the evidence naming
// both holders.
func TestCaughtUnderClock(t *testing.T) { locktest.RequireCaught(t, Strategy(), "clock", 8) }
