package sim

// store is a node's durable store in the simulator. Writes land in an
// unsynced layer first; Sync moves them to the durable layer, which is all a
// crash is guaranteed to keep.
type store struct {
	durable  map[string][]byte
	unsynced map[string][]byte // a nil value is a deletion
	forced   *int64            // counts the syncs that wrote something
}

func newStore(forced *int64) *store {
	return &store{durable: map[string][]byte{}, unsynced: map[string][]byte{}, forced: forced}
}

func (s *store) Get(key string) ([]byte, bool) {
	if v, ok := s.unsynced[key]; ok {
		return v, v != nil
	}
	v, ok := s.durable[key]
	return v, ok
}

func (s *store) Put(key string, value []byte) {
	// A copy that is never nil: nil marks a deletion.
	kept := make([]byte, len(value))
	copy(kept, value)
	s.unsynced[key] = kept
}

func (s *store) Delete(key string) { s.unsynced[key] = nil }

func (s *store) Sync() {
	if len(s.unsynced) > 0 {
		*s.forced++
	}
	s.flush()
}

// flush makes the unsynced writes durable.
func (s *store) flush() {
	for k, v := range s.unsynced {
		if v == nil {
			delete(s.durable, k)
		} else {
			s.durable[k] = v
		}
	}
	clear(s.unsynced)
}

// crash keeps the synced writes, and the unsynced ones unless told to lose
// them (a crash of the machine rather than of the process).
func (s *store) crash(loseUnsynced bool) {
	if loseUnsynced {
		clear(s.unsynced)
		return
	}
	s.flush()
}
