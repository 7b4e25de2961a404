package waitfor

import (
	"slices"
	"testing"
)

func TestApplyReplacesEndsAndTellsGrowth(t *testing.T) {
	g := New()
	if !g.Apply(1, "n0", "A", []string{"B"}) {
		t.Fatal("a new wait is growth")
	}
	if g.Apply(2, "n0", "A", []string{"B"}) {
		t.Fatal("the same holders again are not")
	}
	if !g.Apply(3, "n0", "A", []string{"B", "C"}) {
		t.Fatal("a new holder is")
	}
	if g.Apply(4, "n0", "A", []string{"C"}) {
		t.Fatal("losing a holder is not")
	}
	w := g.Waits()
	if len(w) != 1 || w[0].Since != 1 || !slices.Equal(w[0].Holders, []string{"C"}) {
		t.Fatalf("a wait keeps its start as its holders change: %+v", w)
	}
	g.Apply(5, "n0", "A", nil)
	if g.Waiting("A") || len(g.Waits()) != 0 {
		t.Fatal("empty holders end the wait")
	}
}

func TestCycles(t *testing.T) {
	all := func(string) bool { return true }
	for _, tc := range []struct {
		name  string
		waits [][]string // txn, holders...
		cycle []string
		on    map[string]bool
	}{
		{"none", [][]string{{"A", "B"}, {"B", "C"}}, nil, map[string]bool{"A": false, "B": false}},
		{"two", [][]string{{"A", "B"}, {"B", "A"}}, []string{"A", "B"}, map[string]bool{"A": true, "B": true}},
		{"three, with a tail", [][]string{{"D", "A"}, {"A", "B"}, {"B", "C"}, {"C", "A", "E"}}, []string{"A", "B", "C"},
			map[string]bool{"A": true, "C": true, "D": false, "E": false}},
		{"self-loop-free branches", [][]string{{"A", "B", "C"}, {"C", "A"}}, []string{"A", "C"}, map[string]bool{"B": false, "C": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := New()
			for i, w := range tc.waits {
				g.Apply(int64(i), "n0", w[0], w[1:])
			}
			if got := Cycle(g.Waits()); !slices.Equal(got, tc.cycle) {
				t.Fatalf("cycle %v, want %v", got, tc.cycle)
			}
			for txn, want := range tc.on {
				if got := g.OnCycle(txn, all); got != want {
					t.Errorf("OnCycle(%s) = %v, want %v", txn, got, want)
				}
			}
		})
	}
}

// A cycle through a transaction already aborted is no longer a deadlock.
func TestOnCycleAmongTheLive(t *testing.T) {
	g := New()
	g.Apply(0, "n0", "A", []string{"B"})
	g.Apply(0, "n1", "B", []string{"C"})
	g.Apply(0, "n2", "C", []string{"A"})
	if !g.OnCycle("A", func(string) bool { return true }) {
		t.Fatal("A is on a cycle")
	}
	if g.OnCycle("A", func(x string) bool { return x != "B" }) {
		t.Fatal("with B gone, A is on no cycle")
	}
}
