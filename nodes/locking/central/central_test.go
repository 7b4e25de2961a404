package central

import (
	"testing"

	"github.com/ddbbench/ddbbench/nodes/locking/internal/locktest"
)

func TestExpectations(t *testing.T) { locktest.RequireExpectations(t, Strategy()) }

// Safe under every fault, over three seeds each.
func TestValidUnderFaults(t *testing.T) {
	locktest.RequireValid(t, Strategy(), locktest.Nemeses, 3)
}
