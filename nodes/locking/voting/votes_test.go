package voting

import "testing"

type memStore map[string][]byte

func (s memStore) Get(k string) ([]byte, bool) { v, ok := s[k]; return v, ok }
func (s memStore) Put(k string, v []byte)      { s[k] = append([]byte(nil), v...) }
func (s memStore) Delete(k string)             { delete(s, k) }
func (s memStore) Sync()                       {}

func TestVotes(t *testing.T) {
	store := memStore{}
	v := loadVotes(store)
	grant := func(owner string, ballot int64, want bool) {
		t.Helper()
		if _, got := v.grant("l0", owner, ballot); got != want {
			t.Fatalf("grant %s ballot %d: %v, want %v", owner, ballot, got, want)
		}
	}
	grant("a1", 1, true)
	grant("a2", 2, false)   // another owner has it; ballot 2 is dead
	grant("a1", 3, true)    // the owner asks again under a new ballot
	v.cancel("l0", "a1", 1) // the first attempt is cancelled after the second won
	grant("a2", 4, false)   // ... and the vote stays with a1
	v.cancel("l0", "a2", 2)
	if !v.release("l0", "a1") || !v.release("l0", "a1") {
		t.Fatal("a1's release (and its repetition) did not free the vote")
	}
	grant("a1", 5, false) // released: never again
	grant("a2", 2, false) // refused once: dead
	grant("a2", 6, true)
	if v.release("l0", "a3") {
		t.Fatal("a3 never had the vote")
	}
	// A restarted site remembers it all.
	v = loadVotes(store)
	grant("a3", 7, false)
	grant("a2", 6, true)
	v.cancel("l0", "a2", 6)
	grant("a2", 6, false) // cancelled: a late copy of the request leaves nothing
	grant("a3", 8, false) // a3 released (refused) before the restart
	grant("a4", 9, true)
}
