package locktable

import (
	"maps"
	"slices"
)

// Snapshot is a whole table, for a site that takes a copy of another's, as
// a new backup site gets the lock status in Elmasri & Navathe's primary
// site with backup site.
type Snapshot struct {
	Entries map[string]Entry           `json:"entries"`
	Done    map[string]map[string]bool `json:"done,omitempty"`
	Last    int64                      `json:"last"`
}

// Snapshot copies the table: every lock it has a row for, the releases it
// remembers, and its token counter.
func (t *Table) Snapshot() Snapshot {
	s := Snapshot{Entries: map[string]Entry{}, Done: map[string]map[string]bool{}, Last: t.last}
	for _, lock := range t.locks {
		s.Entries[lock] = *t.Entry(lock)
	}
	for lock, owners := range t.done {
		s.Done[lock] = map[string]bool{}
		for owner, freed := range owners {
			s.Done[lock][owner] = freed
		}
	}
	return s
}

// Install makes the table a copy of s, in memory and in the store (the
// caller syncs).
func (t *Table) Install(s Snapshot) {
	for _, lock := range t.locks {
		if _, ok := s.Entries[lock]; !ok {
			t.setEntry(lock, Entry{})
		}
	}
	for _, lock := range slices.Sorted(maps.Keys(s.Entries)) {
		t.setEntry(lock, s.Entries[lock])
	}
	for _, lock := range slices.Sorted(maps.Keys(s.Done)) {
		for _, owner := range slices.Sorted(maps.Keys(s.Done[lock])) {
			t.setDone(lock, owner, s.Done[lock][owner])
		}
	}
	t.last = max(t.last, s.Last)
	t.saveCounter()
}

// Change is what one request did to one lock, for a backup that mirrors
// its primary's decisions rather than making its own.
type Change struct {
	Lock  string `json:"lock"`
	Entry Entry  `json:"entry"`
	// Owner, when it released the lock, with whether that freed it.
	Owner    string `json:"owner,omitempty"`
	Released bool   `json:"released,omitempty"`
	Freed    bool   `json:"freed,omitempty"`
	Last     int64  `json:"last"`
}

// ChangeOf describes lock's row as it stands after owner's request.
func (t *Table) ChangeOf(lock, owner string) Change {
	c := Change{Lock: lock, Entry: *t.Entry(lock), Last: t.last}
	if freed, done := t.released(lock, owner); done {
		c.Owner, c.Released, c.Freed = owner, true, freed
	}
	return c
}

// Apply mirrors a change (the caller syncs).
func (t *Table) Apply(c Change) {
	if c.Released {
		t.setDone(c.Lock, c.Owner, c.Freed)
	}
	t.last = max(t.last, c.Last)
	t.setEntry(c.Lock, c.Entry)
	t.saveCounter()
}

func (t *Table) setEntry(lock string, e Entry) {
	row := t.Entry(lock)
	*row = e
	t.save(lock, row)
}

func (t *Table) setDone(lock, owner string, freed bool) {
	t.markDone(lock, owner, freed)
	if t.store != nil {
		t.store.Put(doneKey(lock, owner), []byte(map[bool]string{true: "freed", false: "refused"}[freed]))
	}
}
