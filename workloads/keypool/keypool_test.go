package keypool

import (
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// Whatever the sizes and draws: values per key run 1, 2, 3, ... within the
// budget, keys are handed out in order and never come back once retired,
// and there are always exactly the configured number of active keys.
func TestPoolInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.IntRange(1, 12).Draw(t, "keys")
		maxWrites := rapid.IntRange(1, 20).Draw(t, "maxWrites")
		seed := rapid.Uint64().Draw(t, "seed")
		rng := rand.New(rand.NewPCG(seed, 1))
		p := New(keys, maxWrites)
		last := map[int]int{}
		retired := map[int]bool{}
		for range 2000 {
			i := p.Slot(rng)
			if i < 0 || i >= keys {
				t.Fatalf("slot %d of %d", i, keys)
			}
			k := p.Key(i)
			if retired[k] || k >= p.Used() {
				t.Fatalf("key %d is retired or beyond the %d handed out", k, p.Used())
			}
			v, ok := p.Claim(i, rng)
			if !ok {
				retired[k] = true
				if p.Key(i) == k {
					t.Fatalf("slot %d kept retired key %d", i, k)
				}
				continue
			}
			if v != last[k]+1 || v > maxWrites {
				t.Fatalf("key %d: value %d after %d (budget at most %d)", k, v, last[k], maxWrites)
			}
			last[k] = v
		}
		if p.Used() != keys+len(retired) {
			t.Fatalf("%d keys handed out, want %d active + %d retired", p.Used(), keys, len(retired))
		}
	})
}

// Slot i is about twice as likely as slot i-1.
func TestSlotsAreExponential(t *testing.T) {
	p := New(4, 16)
	rng := rand.New(rand.NewPCG(7, 7))
	counts := make([]int, 4)
	const n = 60000
	for range n {
		counts[p.Slot(rng)]++
	}
	for i := 1; i < 4; i++ {
		ratio := float64(counts[i]) / float64(counts[i-1])
		if ratio < 1.8 || ratio > 2.2 {
			t.Errorf("slot %d drawn %d times, slot %d %d times: ratio %.2f, want about 2", i, counts[i], i-1, counts[i-1], ratio)
		}
	}
}

// Budgets follow a Zipf law: one write is the commonest budget, and every
// budget up to the maximum occurs.
func TestBudgetsAreZipf(t *testing.T) {
	p := New(1, 8)
	rng := rand.New(rand.NewPCG(3, 3))
	budgets := map[int]int{}
	writes := 0
	for range 40000 {
		if _, ok := p.Claim(0, rng); ok {
			writes++
			continue
		}
		budgets[writes]++
		writes = 0
	}
	for b := 1; b <= 8; b++ {
		if budgets[b] == 0 {
			t.Errorf("no key had a budget of %d writes: %v", b, budgets)
		}
		if b > 1 && budgets[b] > budgets[1] {
			t.Errorf("budget %d (%d keys) commoner than budget 1 (%d keys)", b, budgets[b], budgets[1])
		}
	}
	if len(budgets) != 8 {
		t.Errorf("budgets %v, want exactly 1..8", budgets)
	}
}
