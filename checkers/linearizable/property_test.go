package linearizable

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// neverWritten is outside every simulated value range.
const neverWritten = -1

func drawSimulation(t *rapid.T) history.History {
	cfg := simConfig{
		processes:   rapid.IntRange(1, 5).Draw(t, "processes"),
		keys:        rapid.IntRange(1, 3).Draw(t, "keys"),
		ops:         rapid.IntRange(1, 40).Draw(t, "ops"),
		values:      rapid.IntRange(1, 4).Draw(t, "values"),
		maxGap:      rapid.IntRange(0, 5).Draw(t, "maxGap"),
		maxSpan:     rapid.IntRange(0, 10).Draw(t, "maxSpan"),
		infoPercent: rapid.IntRange(0, 20).Draw(t, "infoPercent"),
		failPercent: rapid.IntRange(0, 20).Draw(t, "failPercent"),
	}
	return simulate(cfg, func(n int) int { return rapid.IntRange(0, n-1).Draw(t, "choice") })
}

func TestPropertySimulatedHistoriesAreLinearizable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawSimulation(t)
		if r := check(t, h); r.Valid != checkers.Valid {
			t.Fatalf("verdict %s on a simulated register: %s\n%s", r.Valid, r.Summary, dump(h))
		}
	})
}

// Making any ok read return a value no one wrote must be caught, and the
// evidence must point at that read's key.
func TestPropertyCorruptedReadIsRejected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawSimulation(t)
		var reads []*history.Op
		for _, op := range h {
			if op.F == "read" && op.Outcome == history.OK {
				reads = append(reads, op)
			}
		}
		if len(reads) == 0 {
			t.Skip("no ok read to corrupt")
		}
		bad := rapid.SampledFrom(reads).Draw(t, "read")
		bad.Result, bad.Error = neverWritten, nil

		r := check(t, h)
		if r.Valid != checkers.Invalid {
			t.Fatalf("verdict %s after read %d returned %d: %s\n%s", r.Valid, bad.Index, neverWritten, r.Summary, dump(h))
		}
		if key := r.Evidence.(Violation).Key; key != bad.Key {
			t.Fatalf("evidence names key %s, the corrupted read was on key %s", key, bad.Key)
		}
	})
}

func dump(h history.History) string {
	var s []byte
	for _, op := range h {
		s = fmt.Appendf(s, "%d p%d %s %s %v -> %v %s err=%v [%d, %d]\n",
			op.Index, op.Process, op.F, op.Key, op.Value, op.Result, op.Outcome, op.Error, op.Invoke, op.Complete)
	}
	return string(s)
}
