package primarycopy

import (
	"fmt"
	"testing"

	lockcheck "github.com/ddbbench/ddbbench/checkers/lock"
	"github.com/ddbbench/ddbbench/nodes/locking/internal/locktest"
)

func TestExpectations(t *testing.T) { locktest.RequireExpectations(t, Strategy()) }

// Safe under every fault, over three seeds each.
func TestValidUnderFaults(t *testing.T) {
	locktest.RequireValid(t, Strategy(), locktest.Nemeses, 3)
}

// The locks spread over the sites: every site grants some, as the grants
// per node show.
func TestGrantsSpreadOverTheSites(t *testing.T) {
	run := locktest.Run(t, Strategy(), locktest.Config("none", 1))
	for _, c := range run.Results.Checks {
		f, ok := c.Evidence.(lockcheck.Figures)
		if !ok {
			continue
		}
		for i := range 5 {
			if n := fmt.Sprintf("n%d", i); f.GrantsByNode[n] == 0 {
				t.Fatalf("%s granted nothing: %v", n, f.GrantsByNode)
			}
		}
		t.Logf("grants by node: %v", f.GrantsByNode)
		return
	}
	t.Fatal("no lock figures")
}
