package workloads

import "math/rand/v2"

// Rotation chooses the keys a workload's clients concentrate on: a few in
// use at once, picked uniformly or with a Zipf distribution (a few hot
// ones), each retired for a fresh one after Limit operations. Like Jepsen's
// independent keys, concentrating the clients exposes anomalies that need
// two operations on one key at once, and retiring keys bounds each key's
// history, which keeps its check cheap however long the run.
type Rotation struct {
	active []int // the key in use in each slot
	ops    []int // operations on each slot's key
	next   int   // the next fresh key
	limit  int
	zipf   bool
	z      *rand.Zipf
}

// NewRotation starts with keys 0..inUse-1; limit 0 never retires a key.
func NewRotation(inUse, limit int, zipf bool) *Rotation {
	r := &Rotation{active: make([]int, inUse), ops: make([]int, inUse), next: inUse, limit: limit, zipf: zipf}
	for i := range r.active {
		r.active[i] = i
	}
	return r
}

// Next picks a slot and returns its key, retiring the key for a fresh one
// once it has had its share of operations.
func (r *Rotation) Next(rng *rand.Rand) int {
	slot := 0
	switch {
	case len(r.active) == 1:
	case !r.zipf:
		slot = rng.IntN(len(r.active))
	default:
		if r.z == nil {
			r.z = rand.NewZipf(rng, 1.1, 1, uint64(len(r.active)-1))
		}
		slot = int(r.z.Uint64())
	}
	if r.limit > 0 && r.ops[slot] >= r.limit {
		r.active[slot], r.ops[slot] = r.next, 0
		r.next++
	}
	r.ops[slot]++
	return r.active[slot]
}

// Used is the number of keys used so far: keys 0..Used()-1.
func (r *Rotation) Used() int { return r.next }
