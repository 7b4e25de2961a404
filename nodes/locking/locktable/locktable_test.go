package locktable

import (
	"fmt"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// memStore is a durable store that keeps everything (crashes are the
// simulator's business; here only what the table writes matters).
type memStore map[string][]byte

func (s memStore) Get(k string) ([]byte, bool) { v, ok := s[k]; return v, ok }
func (s memStore) Put(k string, v []byte)      { s[k] = append([]byte(nil), v...) }
func (s memStore) Delete(k string)             { delete(s, k) }
func (s memStore) Sync()                       {}

func code(err *maelstrom.RPCError) int {
	if err == nil {
		return 0
	}
	return err.Code
}

func TestTableRules(t *testing.T) {
	ms := time.Millisecond
	type step struct {
		op           string // "acquire owner ttl" or "release owner token"
		owner        string
		arg          int64
		at           time.Duration
		token, lease int64 // acquire: the grant expected
		code         int
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"one holder at a time", []step{
			{op: "acquire", owner: "a1", token: 1},
			{op: "acquire", owner: "a2", code: maelstrom.LockHeld},
			{op: "acquire", owner: "a1", token: 1}, // asked again: the same grant
			{op: "release", owner: "a2", arg: 1, code: maelstrom.NotLockHolder},
			{op: "release", owner: "a1", arg: 2, code: maelstrom.NotLockHolder}, // wrong token; a1 is done
			{op: "acquire", owner: "a3", code: maelstrom.LockHeld},              // still held: a1's release failed
		}},
		{"release frees, once", []step{
			{op: "acquire", owner: "a1", token: 1},
			{op: "release", owner: "a1", arg: 1},
			{op: "release", owner: "a1", arg: 1},                   // a duplicate gets the same answer
			{op: "acquire", owner: "a1", code: maelstrom.LockHeld}, // a late duplicate acquire: never again
			{op: "acquire", owner: "a2", token: 2},
		}},
		{"leases run out on the manager's clock", []step{
			{op: "acquire", owner: "a1", arg: 100, at: 0, token: 1, lease: 100},
			{op: "acquire", owner: "a1", arg: 100, at: 40 * ms, token: 1, lease: 60}, // the same lease, what is left of it
			{op: "acquire", owner: "a2", arg: 100, at: 99*ms + 500*time.Microsecond, token: 2, lease: 100},
			{op: "release", owner: "a1", arg: 1, at: 120 * ms, code: maelstrom.NotLockHolder},
			{op: "release", owner: "a2", arg: 2, at: 120 * ms},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, table := range []*Table{New(), Durable(memStore{})} {
				for i, s := range tc.steps {
					if s.op == "acquire" {
						g, err := table.Acquire("l0", s.owner, s.at, time.Duration(s.arg)*ms)
						if code(err) != s.code || err == nil && (g.Token != s.token || g.Lease.Milliseconds() != s.lease) {
							t.Fatalf("step %d %s %s: grant %+v err %v; want token %d lease %dms code %d", i, s.op, s.owner, g, err, s.token, s.lease, s.code)
						}
						continue
					}
					if err := table.Release("l0", s.owner, s.arg, s.at); code(err) != s.code {
						t.Fatalf("step %d release %s %d: %v, want code %d", i, s.owner, s.arg, err, s.code)
					}
				}
			}
		})
	}
}

// A durable table comes back as it was: holders, released owners and the
// token counter.
func TestDurableTableSurvivesRestart(t *testing.T) {
	store := memStore{}
	table := Durable(store)
	for i := range 3 {
		if _, err := table.Acquire(fmt.Sprintf("l%d", i), "a1", 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := table.Release("l0", "a1", 1, 0); err != nil {
		t.Fatal(err)
	}
	again := Durable(store)
	if _, err := again.Acquire("l1", "a2", 0, 0); code(err) != maelstrom.LockHeld {
		t.Fatalf("l1 after restart: %v, want held", err)
	}
	if _, err := again.Acquire("l0", "a1", 0, 0); code(err) != maelstrom.LockHeld {
		t.Fatalf("a1 released l0 before the restart and was granted again: %v", err)
	}
	if g, err := again.Acquire("l0", "a2", 0, 0); err != nil || g.Token != 4 {
		t.Fatalf("l0 after restart: %+v %v, want token 4 (the counter survives)", g, err)
	}
}

// A backup that applies a primary's changes, or installs a copy of its
// table, answers every later request as the primary would.
func TestCopiesAnswerAsTheOriginal(t *testing.T) {
	primary := Durable(memStore{})
	mirror := New()
	ops := []struct {
		acquire     bool
		lock, owner string
		token       int64
	}{
		{true, "l0", "a1", 0}, {true, "l1", "a2", 0}, {true, "l0", "a3", 0},
		{false, "l0", "a1", 1}, {false, "l1", "a9", 5}, {true, "l0", "a3", 0},
	}
	for _, op := range ops {
		if op.acquire {
			primary.Acquire(op.lock, op.owner, 0, 0)
		} else {
			primary.Release(op.lock, op.owner, op.token, 0)
		}
		mirror.Apply(primary.ChangeOf(op.lock, op.owner))
	}
	copyStore := memStore{}
	copied := Durable(copyStore)
	copied.Acquire("l7", "stale", 0, 0) // a row the copy must clear
	copied.Install(primary.Snapshot())
	restarted := Durable(copyStore)
	for _, table := range []*Table{mirror, copied, restarted} {
		if _, err := table.Acquire("l0", "a4", 0, 0); code(err) != maelstrom.LockHeld {
			t.Fatalf("l0 is a3's: %v", err)
		}
		if _, err := table.Acquire("l0", "a1", 0, 0); code(err) != maelstrom.LockHeld {
			t.Fatalf("a1 released l0: %v", err)
		}
		if err := table.Release("l1", "a9", 5, 0); code(err) != maelstrom.NotLockHolder {
			t.Fatalf("a9's repeated release: %v", err)
		}
		if g, err := table.Acquire("l7", "a5", 0, 0); err != nil || g.Token != 4 {
			t.Fatalf("l7: %+v %v, want free and token 4 after the three grants", g, err)
		}
	}
}
