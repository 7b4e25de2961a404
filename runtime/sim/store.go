package sim

// store is a node's durable store in the simulator. Every write is visible
// at once; when crashes lose unsynced writes, the writes since the last Sync
// are also kept in an undo log, so that a crash can roll them back. Sync
// only forgets the undo log, which keeps the common case (write, then sync)
// to one map write per key, and a run whose crashes keep every write (the
// default) keeps no log at all.
type store struct {
	data map[string][]byte
	// undo is the log since the last Sync, oldest first; nil when crashes
	// keep unsynced writes.
	undo []undoEntry
	// compactAt is the undo log's length that triggers a compaction.
	compactAt int
	// dirty says a write came since the last Sync, which then counts as a
	// forced write in forced.
	dirty  bool
	forced *int64
}

// undoEntry is what a key held before an unsynced write.
type undoEntry struct {
	key     string
	old     []byte
	existed bool
}

const minCompact = 64

// newStore returns an empty store; loseUnsynced says whether a crash may
// lose unsynced writes; forced counts the syncs that had something to write.
func newStore(loseUnsynced bool, forced *int64) *store {
	s := &store{data: map[string][]byte{}, compactAt: minCompact, forced: forced}
	if loseUnsynced {
		s.undo = []undoEntry{}
	}
	return s
}

func (s *store) Get(key string) ([]byte, bool) {
	v, ok := s.data[key]
	return v, ok
}

func (s *store) Put(key string, value []byte) {
	s.dirty = true
	if s.undo != nil {
		old, existed := s.data[key]
		s.remember(undoEntry{key, old, existed})
	}
	// A copy: the caller may reuse its buffer.
	kept := make([]byte, len(value))
	copy(kept, value)
	s.data[key] = kept
}

func (s *store) Delete(key string) {
	s.dirty = true
	if s.undo != nil {
		old, existed := s.data[key]
		if !existed {
			return
		}
		s.remember(undoEntry{key, old, existed})
	}
	delete(s.data, key)
}

// remember logs a key's value before an unsynced write. A node that rarely
// syncs would grow the log with every write, so a long log is cut down to
// the first entry per key, the only one a rollback needs.
func (s *store) remember(u undoEntry) {
	s.undo = append(s.undo, u)
	if len(s.undo) < s.compactAt {
		return
	}
	first := make(map[string]bool, len(s.undo))
	kept := s.undo[:0]
	for _, e := range s.undo {
		if !first[e.key] {
			first[e.key] = true
			kept = append(kept, e)
		}
	}
	clear(s.undo[len(kept):])
	s.undo = kept
	s.compactAt = 2*len(kept) + minCompact
}

func (s *store) Sync() {
	if s.dirty && s.forced != nil {
		*s.forced++
	}
	s.dirty = false
	if s.undo != nil {
		clear(s.undo)
		s.undo, s.compactAt = s.undo[:0], minCompact
	}
}

// crash keeps the synced writes, and the unsynced ones unless the store
// was made to lose them (a crash of the machine rather than of the
// process). Rolling back newest first leaves each key as its first unsynced
// write found it.
func (s *store) crash() {
	if s.undo != nil {
		for i := len(s.undo) - 1; i >= 0; i-- {
			u := s.undo[i]
			if u.existed {
				s.data[u.key] = u.old
			} else {
				delete(s.data, u.key)
			}
		}
	}
	s.dirty = false // a crash is not a forced write
	s.Sync()
}
