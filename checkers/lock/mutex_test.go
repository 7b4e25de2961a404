package lock

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

func TestMutualExclusionAccepts(t *testing.T) {
	cases := []struct {
		name   string
		h      history.History
		fenced int
	}{
		{"serial critical sections", hist(
			rd("c1", "l0", "a1", 1, 0, 1, 10), wr("c1", "l0", "a1", 1, 1, 2, 15),
			rd("c2", "l0", "a2", 2, 1, 3, 20), wr("c2", "l0", "a2", 2, 2, 4, 25),
			final("l0", 2, 5)), 0},
		// Kleppmann's fenced storage: a1 was paused after reading; a2 read
		// and wrote meanwhile; a1's late write is refused, not a violation.
		{"a refused stale-token write", hist(
			rd("c1", "l0", "a1", 33, 0, 1, 10),
			rd("c2", "l0", "a2", 34, 0, 2, 500), wr("c2", "l0", "a2", 34, 1, 3, 505),
			fenced(wr("c1", "l0", "a1", 33, 1, 0, 5010)),
			final("l0", 1, 4)), 1},
		{"a refused stale-token read", hist(
			rd("c2", "l0", "a2", 34, 0, 1, 10), wr("c2", "l0", "a2", 34, 1, 2, 15),
			fenced(rd("c1", "l0", "a1", 33, 0, 0, 20)),
			final("l0", 1, 3)), 1},
		{"an unanswered write may have been applied", hist(
			rd("c1", "l0", "a1", 1, 0, 1, 10), info(wr("c1", "l0", "a1", 1, 1, 0, 15)),
			final("l0", 1, 3)), 0},
		{"locks are independent", hist(
			rd("c1", "l0", "a1", 1, 0, 1, 10), rd("c2", "l1", "a2", 1, 0, 1, 11),
			wr("c2", "l1", "a2", 1, 1, 2, 12), wr("c1", "l0", "a1", 1, 1, 2, 15),
			final("l0", 1, 3), final("l1", 1, 3)), 0},
		{"a holder that skipped its write", hist(
			rd("c1", "l0", "a1", 1, 0, 1, 10),
			rd("c2", "l0", "a2", 2, 0, 2, 20), wr("c2", "l0", "a2", 2, 1, 3, 25),
			final("l0", 1, 4)), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, h := range []history.History{tc.h, roundTrip(t, tc.h)} {
				r := MutualExclusion().Check(h)
				if r.Valid != checkers.Valid {
					t.Fatalf("want valid, got %v: %s", r.Valid, r.Summary)
				}
				if ev := r.Evidence.(MutexEvidence); ev.Fenced != tc.fenced {
					t.Fatalf("fenced %d, want %d", ev.Fenced, tc.fenced)
				}
			}
		})
	}
}

func TestMutualExclusionRejects(t *testing.T) {
	cases := []struct {
		name string
		h    history.History
		want []string // in the summary
	}{
		// The unfenced version of Kleppmann's scenario: a1 resumes and
		// writes over a2's increment.
		{"two overlapping critical sections", hist(
			rd("c1", "l0", "a1", 33, 0, 1, 10),
			rd("c2", "l0", "a2", 34, 0, 2, 500), wr("c2", "l0", "a2", 34, 1, 3, 505),
			wr("c1", "l0", "a1", 33, 1, 4, 5010),
			final("l0", 1, 5)),
			[]string{"1 overlapping", "lock l0", "a1 (c1, token 33) held it from 0.010s to 5.010s", "a2 (c2, token 34) read at 0.500s"}},
		{"interleaved, each ending after the other began", hist(
			rd("c1", "l0", "a1", 1, 0, 1, 10), rd("c2", "l0", "a2", 2, 0, 2, 11),
			wr("c1", "l0", "a1", 1, 1, 3, 12), wr("c2", "l0", "a2", 2, 1, 4, 13)),
			[]string{"a1 (c1, token 1)", "a2 (c2, token 2)"}},
		{"an increment lost with no overlap recorded", hist(
			rd("c1", "l0", "a1", 1, 0, 1, 10), wr("c1", "l0", "a1", 1, 1, 2, 15),
			rd("c2", "l0", "a2", 2, 1, 3, 20), wr("c2", "l0", "a2", 2, 2, 4, 25),
			final("l0", 1, 5)),
			[]string{"increments lost", "lock l0 ends at 1 after 2 completed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, h := range []history.History{tc.h, roundTrip(t, tc.h)} {
				r := MutualExclusion().Check(h)
				if r.Valid != checkers.Invalid {
					t.Fatalf("want invalid, got %v: %s", r.Valid, r.Summary)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.Summary, w) {
						t.Errorf("summary %q lacks %q", r.Summary, w)
					}
				}
			}
		})
	}
}

func TestMutualExclusionEvidenceNamesBothHolders(t *testing.T) {
	h := hist(
		rd("c1", "l0", "a1", 33, 0, 1, 10),
		rd("c2", "l0", "a2", 34, 0, 2, 500), wr("c2", "l0", "a2", 34, 1, 3, 505),
		wr("c1", "l0", "a1", 33, 1, 4, 5010))
	ev := MutualExclusion().Check(h).Evidence.(MutexEvidence)
	if ev.OverlapCount != 1 || len(ev.Overlaps) != 1 {
		t.Fatalf("overlaps: %+v", ev)
	}
	o := ev.Overlaps[0]
	got := fmt.Sprintf("%s %s %d %d-%d | %s %s %d %d-%d", o.First.Owner, o.First.Client, o.First.Token, o.First.ReadSeq, o.First.WriteSeq,
		o.Second.Owner, o.Second.Client, o.Second.Token, o.Second.ReadSeq, o.Second.WriteSeq)
	if want := "a1 c1 33 1-4 | a2 c2 34 2-3"; got != want {
		t.Fatalf("overlap %q, want %q", got, want)
	}
	if o.First.WriteAt != 5010*msNS || o.Second.ReadAt != 500*msNS || o.First.WriteIndex != 3 {
		t.Fatalf("times or indices wrong: %+v", o)
	}
}

// Property: critical sections that follow one another at the resource, on
// any number of locks interleaved, are accepted; moving one section's read
// back before the previous section's write on its lock is rejected.
func TestMutualExclusionProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		locks := rapid.IntRange(1, 3).Draw(t, "locks")
		n := rapid.IntRange(2, 30).Draw(t, "sections")
		type sec struct {
			lock        string
			read, write *history.Op
		}
		seq := make([]int64, locks)
		val := make([]int64, locks)
		var h history.History
		var secs []sec
		at := int64(0)
		for i := range n {
			l := rapid.IntRange(0, locks-1).Draw(t, fmt.Sprintf("lock%d", i))
			lock, owner, client := fmt.Sprintf("l%d", l), fmt.Sprintf("a%d", i), fmt.Sprintf("c%d", i%7)
			at += 1 + int64(rapid.IntRange(0, 3).Draw(t, fmt.Sprintf("gap%d", i)))
			seq[l] += 10 // room to move an access between two others
			r := rd(client, lock, owner, int64(i+1), val[l], seq[l], at)
			at++
			seq[l] += 10
			val[l]++
			w := wr(client, lock, owner, int64(i+1), val[l], seq[l], at)
			h = append(h, r, w)
			secs = append(secs, sec{lock, r, w})
		}
		for l := range locks {
			seq[l] += 10
			h = append(h, final(fmt.Sprintf("l%d", l), val[l], seq[l]))
		}
		if r := MutualExclusion().Check(hist(h...)); r.Valid != checkers.Valid {
			t.Fatalf("serial sections rejected: %s", r.Summary)
		}
		i := rapid.IntRange(1, n-1).Draw(t, "moved")
		for j := i - 1; j >= 0; j-- {
			if secs[j].lock != secs[i].lock {
				continue
			}
			// Served between the previous section's read and write; what
			// it read stays the same, so only the order gives it away.
			moved := secs[i].read.Result.(maelstrom.ResourceOKBody)
			moved.Seq = secs[j].write.Result.(maelstrom.ResourceOKBody).Seq - 5
			secs[i].read.Result = moved
			if r := MutualExclusion().Check(hist(h...)); r.Valid != checkers.Invalid {
				t.Fatalf("section %d read before section %d wrote, accepted: %s", i, j, r.Summary)
			}
			return
		}
	})
}
