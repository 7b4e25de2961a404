package sim

import (
	"maps"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// The store behaves like its definition: a durable layer and the writes
// since the last sync on top; a crash keeps both or only the durable one.
func TestPropertyStoreMatchesTwoLayers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		loseUnsynced := rapid.Bool().Draw(t, "loseUnsynced")
		s := newStore(loseUnsynced, nil)
		durable, current := map[string]string{}, map[string]string{}
		for i := range rapid.IntRange(0, 400).Draw(t, "steps") {
			key := "k" + strconv.Itoa(rapid.IntRange(0, 5).Draw(t, "key"))
			// Syncs and crashes are rare, so that the undo log grows long
			// enough to be compacted.
			switch a := rapid.IntRange(0, 99).Draw(t, "action"); {
			case a < 60:
				v := strconv.Itoa(i)
				s.Put(key, []byte(v))
				current[key] = v
			case a < 97:
				s.Delete(key)
				delete(current, key)
			case a < 98:
				s.Sync()
				durable = maps.Clone(current)
			default:
				s.crash()
				if loseUnsynced {
					current = maps.Clone(durable)
				}
				durable = maps.Clone(current)
			}
			for k := range 6 {
				key := "k" + strconv.Itoa(k)
				got, ok := s.Get(key)
				want, wantOK := current[key]
				if ok != wantOK || string(got) != want {
					t.Fatalf("step %d: %s = %q %v, want %q %v", i, key, got, ok, want, wantOK)
				}
			}
		}
	})
}
