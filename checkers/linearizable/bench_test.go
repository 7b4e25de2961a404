package linearizable

import (
	"math/rand/v2"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
)

// BenchmarkRegister100kOps100Keys checks a valid history the size of a long
// lin-kv run: 100,000 operations by 10 concurrent clients over 100 keys,
// with 1% info and 1% fail outcomes. Times are in microsecond-like units:
// a client idles up to 50 between operations and each takes up to 2×200.
func BenchmarkRegister100kOps100Keys(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := simulate(simConfig{
		processes: 10, keys: 100, ops: 100_000, values: 10,
		maxGap: 50, maxSpan: 200, infoPercent: 1, failPercent: 1,
	}, rng.IntN)
	c := New(Options{})
	for b.Loop() {
		if r := c.Check(h); r.Valid != checkers.Valid {
			b.Fatalf("verdict %s: %s", r.Valid, r.Summary)
		}
	}
	b.ReportMetric(float64(len(h))*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
