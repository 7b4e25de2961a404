package deadlock

import (
	"slices"
	"strings"

	"github.com/ddbbench/ddbbench/nodes"
)

// Request is a lock request at a participant, granted or waiting.
type Request struct {
	Owner
	Key  string
	Mode Mode

	// Blockers are the attempts it waits for, sorted by name: every
	// conflicting holder and every older conflicting request queued ahead
	// of it. Empty once granted.
	Blockers []Owner
	// Timer is a timer a policy set for this wait; the participant cancels
	// it when the request stops waiting.
	Timer nodes.TimerID
	// probed records the initiators' waits whose probes this wait has
	// passed on (edge chasing passes each one's probe on once).
	probed map[string]bool

	batch     *batch
	evaluated bool // the policy has seen it wait
}

// lockEntry is one key's lock: who holds it and who waits, the queue in
// timestamp order (oldest first), so the oldest waiter is always first in
// line: nobody younger overtakes it.
type lockEntry struct {
	holders []*Request
	queue   []*Request
}

// holding returns the request by which txn holds the lock, or nil.
func (e *lockEntry) holding(txn string) *Request {
	for _, h := range e.holders {
		if h.Txn == txn {
			return h
		}
	}
	return nil
}

// enqueue puts r in line behind every older request.
func (e *lockEntry) enqueue(r *Request) {
	i, _ := slices.BinarySearchFunc(e.queue, r, func(a, b *Request) int {
		if a.TS.Before(b.TS) {
			return -1
		}
		return 1
	})
	e.queue = slices.Insert(e.queue, i, r)
}

// blockers are what the i-th queued request waits for: the holders it
// conflicts with and the conflicting requests ahead of it in the queue.
func (e *lockEntry) blockers(i int) []Owner {
	r := e.queue[i]
	var out []Owner
	add := func(o *Request) {
		if o.Txn != r.Txn && !compatible(o.Mode, r.Mode) && !slices.ContainsFunc(out, func(x Owner) bool { return x.Txn == o.Txn }) {
			out = append(out, o.Owner)
		}
	}
	for _, h := range e.holders {
		add(h)
	}
	for _, q := range e.queue[:i] {
		add(q)
	}
	slices.SortFunc(out, func(a, b Owner) int { return strings.Compare(a.Txn, b.Txn) })
	return out
}

func remove(list []*Request, r *Request) []*Request {
	return slices.DeleteFunc(list, func(x *Request) bool { return x == r })
}

// added are the owners in now that were not in before.
func added(before, now []Owner) []Owner {
	var out []Owner
	for _, o := range now {
		if !slices.ContainsFunc(before, func(b Owner) bool { return b.Txn == o.Txn }) {
			out = append(out, o)
		}
	}
	return out
}

func names(os []Owner) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Txn
	}
	return out
}
