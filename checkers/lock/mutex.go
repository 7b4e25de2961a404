// Package lock holds the lock workload's checkers: mutual exclusion at the
// protected resource (MutualExclusion), linearizability of the lock
// service's answers against a mutex model (Service), and the lock figures
// (Stats): acquisitions, their latency by fault phase, messages per
// acquisition, hold times, fairness and grants per node.
package lock

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/lockops"
)

// MutualExclusion judges what the holders did to the protected resource.
// A critical section is an owner's accesses under one grant; it completed
// when the resource accepted its write. The resource numbers each key's
// accesses in the order it served them, so two completed critical sections
// on one lock overlap exactly when one's accesses interleave with the
// other's: a violation, whatever the lock service believed. A second,
// independent check compares each lock's final value (every write stores
// what its holder read plus one) with the number of completed critical
// sections: fewer means increments were lost.
//
// Accesses the fenced resource refused are counted, not violations: that
// is fencing doing its job.
func MutualExclusion() checkers.Checker { return mutex{} }

type mutex struct{}

func (mutex) Name() string { return "mutual-exclusion" }

// Section is one critical section at the resource.
type Section struct {
	Owner  string `json:"owner"`
	Client string `json:"client"`
	Token  int64  `json:"token"`
	// ReadSeq and WriteSeq are the resource's numbers for the accesses;
	// ReadAt and WriteAt when it served them (ns since the run started).
	ReadSeq  int64 `json:"read_seq"`
	WriteSeq int64 `json:"write_seq"`
	ReadAt   int64 `json:"read_at_ns"`
	WriteAt  int64 `json:"write_at_ns"`
	Read     int64 `json:"read"`  // the value it read
	Wrote    int64 `json:"wrote"` // the value it wrote
	// ReadIndex and WriteIndex are the accesses' history indices.
	ReadIndex  int `json:"read_index"`
	WriteIndex int `json:"write_index"`
}

// Overlap is two critical sections on one lock that interleaved at the
// resource: Second read before First wrote.
type Overlap struct {
	Lock   string  `json:"lock"`
	First  Section `json:"first"`
	Second Section `json:"second"`
}

// LostIncrements is a lock whose final value is below the number of
// completed critical sections (or above what they and the writes whose
// answer never came could have made it).
type LostIncrements struct {
	Lock      string `json:"lock"`
	Final     int64  `json:"final"`
	Completed int    `json:"completed"`
	// Uncertain writes may or may not have been applied (no answer came).
	Uncertain int `json:"uncertain"`
}

// MutexEvidence is what the mutual-exclusion checker found.
type MutexEvidence struct {
	Sections int `json:"sections"` // completed critical sections
	Locks    int `json:"locks"`
	// Fenced counts accesses the resource refused for a stale token;
	// FencedWrites those that were writes.
	Fenced       int              `json:"fenced"`
	FencedWrites int              `json:"fenced_writes"`
	Overlaps     []Overlap        `json:"overlaps,omitempty"` // the first few, in resource order
	OverlapCount int              `json:"overlap_count"`
	Lost         []LostIncrements `json:"lost_increments,omitempty"`
}

const maxOverlaps = 5

func (mutex) Check(h history.History) checkers.Result {
	res := checkers.Result{Checker: "mutual-exclusion"}
	ops, err := lockops.Parse(h)
	if err != nil {
		res.Valid, res.Summary = checkers.Unknown, "cannot check mutual exclusion: "+err.Error()
		return res
	}
	ev := MutexEvidence{}
	byLock := map[string]*lockAccesses{}
	var names []string
	for _, o := range ops {
		if o.F != lockops.Read && o.F != lockops.Write {
			continue
		}
		la := byLock[o.Key]
		if la == nil {
			la = &lockAccesses{owners: map[string]*ownerAccesses{}}
			byLock[o.Key] = la
			names = append(names, o.Key)
		}
		if o.Refused() {
			ev.Fenced++
			if o.F == lockops.Write {
				ev.FencedWrites++
			}
			continue
		}
		if o.Final {
			if o.Accepted() {
				la.final, la.hasFinal = o.Access.Value, true
			}
			continue
		}
		oa := la.owners[o.Owner]
		if oa == nil {
			oa = &ownerAccesses{}
			la.owners[o.Owner] = oa
			la.order = append(la.order, o.Owner)
		}
		switch {
		case o.F == lockops.Read && o.Accepted():
			oa.read = &o
		case o.F == lockops.Write && o.Accepted():
			oa.write = &o
		case o.F == lockops.Write && o.Outcome == history.Info:
			la.uncertain++
		}
	}
	slices.SortFunc(names, compareLockNames)
	ev.Locks = len(names)
	for _, name := range names {
		la := byLock[name]
		sections := la.sections()
		ev.Sections += len(sections)
		for _, ov := range overlaps(name, sections) {
			ev.OverlapCount++
			if len(ev.Overlaps) < maxOverlaps {
				ev.Overlaps = append(ev.Overlaps, ov)
			}
		}
		if la.hasFinal && (la.final < int64(len(sections)) || la.final > int64(len(sections)+la.uncertain)) {
			ev.Lost = append(ev.Lost, LostIncrements{Lock: name, Final: la.final, Completed: len(sections), Uncertain: la.uncertain})
		}
	}
	res.Evidence = ev
	fenced := ""
	if ev.Fenced > 0 {
		fenced = fmt.Sprintf("; %d stale-token accesses fenced off (%d writes)", ev.Fenced, ev.FencedWrites)
	}
	switch {
	case ev.OverlapCount > 0:
		o := ev.Overlaps[0]
		res.Valid = checkers.Invalid
		res.Summary = fmt.Sprintf("mutual exclusion violated: %d overlapping critical sections; first on lock %s: %s (%s, token %d) held it from %s to %s, and %s (%s, token %d) read at %s",
			ev.OverlapCount, o.Lock, o.First.Owner, o.First.Client, o.First.Token, ms(o.First.ReadAt), ms(o.First.WriteAt),
			o.Second.Owner, o.Second.Client, o.Second.Token, ms(o.Second.ReadAt))
	case len(ev.Lost) > 0:
		l := ev.Lost[0]
		res.Valid = checkers.Invalid
		res.Summary = fmt.Sprintf("increments lost: lock %s ends at %d after %d completed critical sections (%d writes unanswered)", l.Lock, l.Final, l.Completed, l.Uncertain)
	default:
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("mutual exclusion held: %d critical sections on %d locks, none overlapping%s", ev.Sections, ev.Locks, fenced)
	}
	return res
}

func ms(ns int64) string { return fmt.Sprintf("%.3fs", float64(ns)/1e9) }

type lockAccesses struct {
	owners    map[string]*ownerAccesses
	order     []string // owners in the order first seen
	final     int64
	hasFinal  bool
	uncertain int // writes whose answer never came
}

type ownerAccesses struct {
	read, write *lockops.Op
}

// sections are the completed critical sections, by their read's place at
// the resource. A write without a read of the same owner (not one this
// workload makes) spans just itself.
func (la *lockAccesses) sections() []Section {
	var out []Section
	for _, owner := range la.order {
		oa := la.owners[owner]
		if oa.write == nil {
			continue
		}
		w := oa.write
		s := Section{Owner: owner, Client: w.Client, Token: w.Token, WriteSeq: w.Access.Seq, WriteAt: w.Access.AtNS, Wrote: w.Value, WriteIndex: w.Index,
			ReadSeq: w.Access.Seq, ReadAt: w.Access.AtNS, Read: w.Value - 1, ReadIndex: w.Index}
		if r := oa.read; r != nil && r.Access.Seq < w.Access.Seq {
			s.ReadSeq, s.ReadAt, s.Read, s.ReadIndex = r.Access.Seq, r.Access.AtNS, r.Access.Value, r.Index
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Section) int { return cmp.Compare(a.ReadSeq, b.ReadSeq) })
	return out
}

// overlaps finds every section that began before an earlier-begun one
// ended, paired with that one.
func overlaps(lock string, sections []Section) []Overlap {
	var out []Overlap
	open := -1 // the section with the latest write among those begun so far
	for i, s := range sections {
		if open >= 0 && s.ReadSeq < sections[open].WriteSeq {
			out = append(out, Overlap{Lock: lock, First: sections[open], Second: s})
		}
		if open < 0 || s.WriteSeq > sections[open].WriteSeq {
			open = i
		}
	}
	return out
}

// compareLockNames orders "l2" before "l10".
func compareLockNames(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}
