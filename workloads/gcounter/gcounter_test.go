package gcounter

import (
	"math/rand/v2"
	"testing"

	"github.com/ddbbench/ddbbench/workloads"
)

var (
	_ workloads.Workload = (*Workload)(nil)
	_ workloads.Preparer = (*Workload)(nil)
)

func TestNonNegativeDeltas(t *testing.T) {
	w := New(DefaultConfig())
	if w.Name() != "g-counter" {
		t.Error(w.Name())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[int64]bool{}
	for range 1000 {
		if op := w.Generate(rng); op.F == "add" {
			d := op.Value.(int64)
			if d < 0 || d > 4 {
				t.Fatalf("delta %d outside 0..4", d)
			}
			seen[d] = true
		}
	}
	if len(seen) != 5 {
		t.Errorf("deltas drawn: %v", seen)
	}
	w.Prepare([]string{"n0", "n1"})
	if f := w.Final(); len(f) != 2 || f[1].Node != "n1" {
		t.Errorf("final %+v", f)
	}
	if Checkers(DefaultConfig())[0].Name() != "g-counter" {
		t.Error("checker name")
	}
}

func TestConfigValidate(t *testing.T) {
	if DefaultConfig().Validate() != nil {
		t.Error("default rejected")
	}
	for _, c := range []Config{{MaxDelta: -1, Adds: 1}, {MaxDelta: 4}, {MaxDelta: 4, Adds: -1, Reads: 3}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
