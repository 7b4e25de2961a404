package raft

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// majority gives what sorting every follower's value would: the quorum-th
// largest of the followers' values and the leader's own.
func TestPropertyMajorityIsTheQuorumthLargest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		servers := rapid.IntRange(1, 9).Draw(t, "servers")
		quorum := servers/2 + 1
		values := make([]int, servers-1)
		m := newMajority(quorum)
		own := 0
		for range rapid.IntRange(0, 60).Draw(t, "steps") {
			own += rapid.IntRange(0, 3).Draw(t, "grow")
			if len(values) > 0 {
				p := rapid.IntRange(0, len(values)-1).Draw(t, "follower")
				if next := rapid.IntRange(values[p], own).Draw(t, "value"); next > values[p] {
					m.raise(values[p], next)
					values[p] = next
				}
			}
			all := append(slices.Clone(values), own)
			slices.Sort(all)
			if want := all[len(all)-quorum]; m.value(own) != want {
				t.Fatalf("followers %v, own %d: majority value %d, want %d", values, own, m.value(own), want)
			}
		}
	})
}
