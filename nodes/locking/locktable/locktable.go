// Package locktable is the lock table the lock managers share, and the
// lock workload's wire helpers. Strategies differ in where the table lives
// and how it survives faults (one site, a site and its backup, a site per
// lock, a Raft log); what granting and releasing a lock does is here once.
//
// The rules (docs/locking.md has them for people writing their own
// services): a lock is granted to an owner when nobody holds it, or when
// its holder's lease has run out on the manager's clock; asking again as
// the holder gets the same grant; a release by the holder with its token
// frees the lock, any other is refused. An owner that has released is
// never granted again, and asking again to release gets the first answer:
// at-most-once, as Birrell and Nelson's RPC server keeps, so that a
// delayed or duplicated acquire cannot leave the lock held by a client
// that has moved on, and the answers to two copies of a release cannot
// disagree (the client hears whichever arrives first).
package locktable

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// Entry is one lock's row. A lock nobody holds has Owner "".
type Entry struct {
	Owner string `json:"owner,omitempty"`
	Token int64  `json:"token,omitempty"`
	// Expires, for a lease, is when it runs out on the manager's clock;
	// 0 for a lock held until released.
	Expires time.Duration `json:"expires,omitempty"`
}

// Held reports whether e holds the lock at now. The wire counts leases in
// whole milliseconds, so a lease with less than one left has run out.
func (e *Entry) Held(now time.Duration) bool {
	return e.Owner != "" && (e.Expires == 0 || e.Expires-now >= time.Millisecond)
}

// Table is a lock table, in memory or mirrored in a node's durable store.
// Tokens come from a counter that grows with every grant, so they are
// fencing tokens; a strategy with tokens of its own (a log index) passes
// them to Grant.
type Table struct {
	entries map[string]*Entry
	// done are, per lock, the owners that have released it and whether
	// their release freed it. In the store each is a key of its own, so a
	// release writes a few bytes however many came before.
	done  map[string]map[string]bool
	last  int64       // the last token handed out by the counter
	store nodes.Store // nil: in memory only
	// counter, when set without store, keeps only the token counter.
	counter nodes.Store
	// locks are the names of every lock the table has a row for, in the
	// order first written: a copy of the table must include them all.
	locks []string
	known map[string]bool
}

// New returns a table in memory.
func New() *Table {
	return &Table{entries: map[string]*Entry{}, done: map[string]map[string]bool{}, known: map[string]bool{}}
}

// Durable returns a table mirrored in store: every change is written there
// (the caller syncs before it answers), and a restarted node finds the
// table as it was.
func Durable(store nodes.Store) *Table {
	t := New()
	t.store = store
	if b, ok := store.Get(counterKey); ok {
		t.last, _ = strconv.ParseInt(string(b), 10, 64)
	}
	if b, ok := store.Get(indexKey); ok && len(b) > 0 {
		for _, lock := range strings.Split(string(b), "\n") {
			t.known[lock] = true
			t.locks = append(t.locks, lock)
		}
	}
	return t
}

// DurableCounter returns a table whose rows live in memory and whose token
// counter is mirrored in store, for a lease server: its leases die with it
// (it waits them out after a restart), but its tokens must keep growing.
func DurableCounter(store nodes.Store) *Table {
	t := New()
	if b, ok := store.Get(counterKey); ok {
		t.last, _ = strconv.ParseInt(string(b), 10, 64)
	}
	t.counter = store
	return t
}

const (
	counterKey = "locktable/last-token"
	indexKey   = "locktable/locks" // the lock names, one a line
)

func entryKey(lock string) string       { return "locktable/lock/" + lock }
func doneKey(lock, owner string) string { return "locktable/done/" + lock + "/" + owner }

// Entry returns lock's row (a free one for a lock never seen).
func (t *Table) Entry(lock string) *Entry {
	if e := t.entries[lock]; e != nil {
		return e
	}
	e := &Entry{}
	if t.store != nil {
		if b, ok := t.store.Get(entryKey(lock)); ok {
			_ = json.Unmarshal(b, e) // written by save; unreadable means never acknowledged
		}
	}
	t.entries[lock] = e
	return e
}

func (t *Table) save(lock string, e *Entry) {
	if !t.known[lock] {
		t.known[lock] = true
		t.locks = append(t.locks, lock)
		if t.store != nil {
			t.store.Put(indexKey, []byte(strings.Join(t.locks, "\n")))
		}
	}
	if t.store == nil {
		t.saveCounter()
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic("locktable: encoding an entry: " + err.Error())
	}
	t.store.Put(entryKey(lock), b)
	t.saveCounter()
}

func (t *Table) saveCounter() {
	switch {
	case t.store != nil:
		t.store.Put(counterKey, strconv.AppendInt(nil, t.last, 10))
	case t.counter != nil:
		t.counter.Put(counterKey, strconv.AppendInt(nil, t.last, 10))
	}
}

// released reports whether owner has released lock, and if so whether
// the release freed it.
func (t *Table) released(lock, owner string) (freed, done bool) {
	if freed, done = t.done[lock][owner]; done || t.store == nil {
		return freed, done
	}
	if b, ok := t.store.Get(doneKey(lock, owner)); ok {
		freed, done = string(b) == "freed", true
		t.markDone(lock, owner, freed)
	}
	return freed, done
}

func (t *Table) markDone(lock, owner string, freed bool) {
	if t.done[lock] == nil {
		t.done[lock] = map[string]bool{}
	}
	t.done[lock][owner] = freed
}

// NextToken hands out the counter's next token.
func (t *Table) NextToken() int64 {
	t.last++
	return t.last
}

// Acquire grants lock to owner at now (the manager's clock), with a lease
// of ttl (0: none), under the counter's next token. It returns the grant,
// or a LockHeld error.
func (t *Table) Acquire(lock, owner string, now, ttl time.Duration) (Grant, *maelstrom.RPCError) {
	return t.Grant(lock, owner, now, ttl, 0)
}

// Grant is Acquire with the token to use for a new grant; 0 takes the
// counter's next.
func (t *Table) Grant(lock, owner string, now, ttl time.Duration, token int64) (Grant, *maelstrom.RPCError) {
	e := t.Entry(lock)
	_, done := t.released(lock, owner)
	switch {
	case done:
		return Grant{}, maelstrom.NewRPCError(maelstrom.LockHeld, "this owner has already released the lock")
	case e.Held(now) && e.Owner == owner:
		return grantOf(e, now), nil // asked again: the same grant
	case e.Held(now):
		return Grant{}, maelstrom.NewRPCError(maelstrom.LockHeld, "held by "+e.Owner)
	}
	if token == 0 {
		token = t.NextToken()
	} else {
		t.last = max(t.last, token)
	}
	e.Owner, e.Token, e.Expires = owner, token, 0
	if ttl > 0 {
		e.Expires = now + ttl
	}
	t.save(lock, e)
	return grantOf(e, now), nil
}

// Release frees lock if owner holds it with token at now; otherwise it
// refuses with NotLockHolder. Either way the owner is done with the lock,
// and a repeated release gets the same answer.
func (t *Table) Release(lock, owner string, token int64, now time.Duration) *maelstrom.RPCError {
	e := t.Entry(lock)
	freed, done := t.released(lock, owner)
	if !done {
		freed = e.Held(now) && e.Owner == owner && e.Token == token
		if freed {
			e.Owner, e.Token, e.Expires = "", 0, 0
			t.save(lock, e)
		}
		t.setDone(lock, owner, freed)
	}
	if !freed {
		return maelstrom.NewRPCError(maelstrom.NotLockHolder, "not held by "+owner+" with token "+strconv.FormatInt(token, 10))
	}
	return nil
}

// Grant is what an acquire got.
type Grant struct {
	Token int64
	// Lease is how long the lease has left from the grant, 0 for a lock
	// held until released.
	Lease time.Duration
}

func grantOf(e *Entry, now time.Duration) Grant {
	g := Grant{Token: e.Token}
	if e.Expires != 0 {
		g.Lease = e.Expires - now
	}
	return g
}

// Body is the grant as acquire_ok's body, naming the node that granted it.
func (g Grant) Body(grantedBy string) maelstrom.AcquireOKBody {
	return maelstrom.AcquireOKBody{Token: g.Token, ExpiresMS: g.Lease.Milliseconds(), GrantedBy: grantedBy}
}
