// Package keypool is the key pool of Elle's transactional generators
// (elle.txn/wr-txns, which Maelstrom's txn-list-append, txn-rw-register and
// kafka workloads use): a fixed number of active keys, slot i chosen 2^i
// times as often as slot 0 (an exponential distribution with base 2), each
// key taking a Zipf-distributed number of writes (at most MaxWritesPerKey)
// before a fresh key replaces it. Values written to a key are 1, 2, 3, ...,
// so that every value is unique per key and a read names its writer.
//
// Concentrating writes on a few hot keys is what makes transactions
// conflict; retiring keys keeps each key's history short, so the checker's
// version orders stay small however long the run.
package keypool

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Pool is the generator state. The zero Pool is not usable; call New.
type Pool struct {
	keys      int
	zipfCDF   []float64
	active    []int       // the key in each slot
	maxWrites []int       // per slot: how many writes its key may take
	written   map[int]int // per active key: the last value handed out
	next      int         // the next fresh key
}

// New returns a pool of keys active keys, each taking at most
// maxWritesPerKey writes; both must be positive.
func New(keys, maxWritesPerKey int) *Pool {
	p := &Pool{keys: keys, written: map[int]int{}, next: keys}
	// Zipf weights 1/(i+1)^1.0001 over [0, maxWritesPerKey), as
	// jepsen.random/zipf draws them.
	sum := 0.0
	for i := range maxWritesPerKey {
		sum += 1 / math.Pow(float64(i+1), 1.0001)
		p.zipfCDF = append(p.zipfCDF, sum)
	}
	for i := range p.zipfCDF {
		p.zipfCDF[i] /= sum
	}
	return p
}

// Init draws the first keys' write budgets, once; Slot calls it, and a
// generator that must draw in Elle's order calls it first.
func (p *Pool) Init(rng *rand.Rand) {
	if p.active != nil {
		return
	}
	for i := range p.keys {
		p.active = append(p.active, i)
		p.maxWrites = append(p.maxWrites, p.zipf(rng)+1)
	}
}

func (p *Pool) zipf(rng *rand.Rand) int {
	u := rng.Float64()
	return min(sort.SearchFloat64s(p.zipfCDF, u), len(p.zipfCDF)-1)
}

// Slot draws a slot: slot i is 2^i times as likely as slot 0 (Elle's
// rand-key-i with base 2).
func (p *Pool) Slot(rng *rand.Rand) int {
	p.Init(rng)
	n := len(p.active)
	scale := (math.Pow(2, float64(n)) - 1) * 2
	i := int(math.Floor(math.Log2(rng.Float64()*scale+2) - 1))
	return max(0, min(n-1, i))
}

// Key is the key in slot i.
func (p *Pool) Key(i int) int { return p.active[i] }

// Claim hands out the next value to write to slot i's key. When the key has
// taken its share it is retired instead: a fresh key takes the slot (with a
// fresh budget) and Claim reports false, and the caller draws again, as
// Elle's generator does.
func (p *Pool) Claim(i int, rng *rand.Rand) (int, bool) {
	p.Init(rng)
	k := p.active[i]
	v := p.written[k] + 1
	if v > p.maxWrites[i] {
		delete(p.written, k)
		p.active[i] = p.next
		p.next++
		p.maxWrites[i] = p.zipf(rng) + 1
		return 0, false
	}
	p.written[k] = v
	return v, true
}

// Used is the number of keys handed out so far: keys 0 to Used()-1, the
// active ones and every retired one.
func (p *Pool) Used() int { return p.next }
