package deadlock

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/ddbbench/ddbbench/history/txn"
)

// Site is the participant at one node: the lock manager and the store for
// the keys the node owns. Its lock table is volatile, as a lock manager's
// is; its data is in the node's durable store.
type Site struct {
	n     *Node
	locks map[string]*lockEntry
	// attempts are the attempts with locks or a request here.
	attempts map[string]*siteAttempt
	// finished are the attempts released or applied here: a lock request
	// of theirs that arrives late (overtaken by the release, or repeated)
	// is refused rather than granted to nobody.
	finished map[string]bool
}

type siteAttempt struct {
	held  []string // keys, in the order granted
	batch *batch   // the lock request in progress
	// For a commit protocol (protocol.go): the attempt has voted to
	// commit; when its coordinator was last heard from; the orphan check
	// is armed; and who its coordinator is.
	protected   bool
	heard       time.Duration
	orphanArmed bool
	coord       string
}

// batch is one lock request: its keys, locked one after the other. At
// most one of them waits at a time, so a transaction waits for one lock at
// a time in the whole system.
type batch struct {
	owner     Owner
	step      int
	items     []lockItem
	next      int
	values    map[string]json.RawMessage
	waiting   *Request
	reply     func(lockReply)
	advancing bool
}

func newSite(n *Node) *Site {
	return &Site{n: n, locks: map[string]*lockEntry{}, attempts: map[string]*siteAttempt{}, finished: map[string]bool{}}
}

func (s *Site) entry(key string) *lockEntry {
	e := s.locks[key]
	if e == nil {
		e = &lockEntry{}
		s.locks[key] = e
	}
	return e
}

func (s *Site) attempt(name string) *siteAttempt {
	a := s.attempts[name]
	if a == nil {
		a = &siteAttempt{}
		s.attempts[name] = a
	}
	return a
}

// value is a key's committed value, JSON null when it has none.
func (s *Site) value(key string) json.RawMessage {
	if v, ok := s.n.env.Store().Get(dataKey(key)); ok {
		return v
	}
	return json.RawMessage("null")
}

// lock serves a lock request: its keys are locked in order, each granted
// if nothing conflicts, else queued while the policy lets it wait.
func (s *Site) lock(b lockBody, reply func(lockReply)) {
	if s.finished[b.Txn] {
		reply(lockReply{Cause: "finished", At: s.n.env.Now().Seconds()})
		return
	}
	a := s.attempt(b.Txn)
	a.coord = b.Coord
	s.heard(b.Txn, a)
	if bt := a.batch; bt != nil && bt.step == b.Step {
		// The coordinator repeated a request still in progress: answer
		// the newest copy, and let the policy look at the wait again.
		bt.reply = reply
		if w := bt.waiting; w != nil {
			if cause := s.n.policy.Conflict(s, w, nil, true); cause != "" {
				s.refuse(w, cause)
			}
		}
		return
	}
	bt := &batch{owner: b.Owner, step: b.Step, items: b.Locks, values: map[string]json.RawMessage{}, reply: reply}
	a.batch = bt
	s.advance(bt)
}

// advance takes a request's next locks, as far as they are granted, and
// answers once it holds them all.
func (s *Site) advance(bt *batch) {
	for bt.next < len(bt.items) {
		it := bt.items[bt.next]
		e := s.entry(it.Key)
		if h := e.holding(bt.owner.Txn); h != nil && covers(h.Mode, it.Mode) {
			bt.values[it.Key] = s.value(it.Key)
			bt.next++
			continue
		}
		r := &Request{Owner: bt.owner, Key: it.Key, Mode: it.Mode, batch: bt}
		bt.waiting = r
		e.enqueue(r)
		bt.advancing = true
		s.settle(it.Key)
		bt.advancing = false
		if bt.waiting != nil || s.attempts[bt.owner.Txn] == nil || s.attempts[bt.owner.Txn].batch != bt {
			return // it waits (grant will go on), or it was refused
		}
	}
	s.attempts[bt.owner.Txn].batch = nil
	bt.reply(lockReply{Granted: true, Values: bt.values})
}

// settle grants a key's queued requests in timestamp order as far as they
// are compatible with the holders and with older requests ahead of them;
// every request left waiting whose blockers changed is reported and shown
// to the policy, which may refuse it. Refusing one may unblock others, so
// it goes round until nothing changes.
func (s *Site) settle(key string) {
	e := s.locks[key]
	for changed := true; changed && e != nil; {
		changed = false
		for i, r := range e.queue {
			blockers := e.blockers(i)
			if len(blockers) == 0 {
				s.grant(e, r)
				changed = true
				break
			}
			if r.evaluated && slices.Equal(names(blockers), names(r.Blockers)) {
				continue
			}
			fresh := added(r.Blockers, blockers)
			r.Blockers, r.evaluated = blockers, true
			s.n.env.WaitsFor(r.Txn, names(blockers))
			if cause := s.n.policy.Conflict(s, r, fresh, false); cause != "" {
				s.refuse(r, cause)
				changed = true
				break
			}
		}
	}
	if e != nil && len(e.holders) == 0 && len(e.queue) == 0 {
		delete(s.locks, key)
	}
}

// grant gives r its lock and lets its request go on to its next key: at
// once if the request is being advanced, else as a fresh step of the node.
func (s *Site) grant(e *lockEntry, r *Request) {
	s.unqueue(e, r)
	e.holders = append(e.holders, r)
	s.attempt(r.Txn).held = append(s.attempt(r.Txn).held, r.Key)
	bt := r.batch
	if !bt.advancing {
		s.n.later(func() {
			if a := s.attempts[r.Txn]; a != nil && a.batch == bt && bt.waiting == nil {
				s.advance(bt)
			}
		})
	}
}

// refuse takes a waiting request out of its queue and answers it with an
// abort. The keys its attempt holds here stay locked until its coordinator
// releases them.
func (s *Site) refuse(r *Request, cause string) {
	e := s.locks[r.Key]
	if e == nil || !slices.Contains(e.queue, r) {
		return // no longer waiting (a timer that lost a race)
	}
	s.unqueue(e, r)
	if a := s.attempts[r.Txn]; a != nil && a.batch == r.batch {
		a.batch = nil
	}
	r.batch.reply(lockReply{Cause: cause, At: s.n.env.Now().Seconds()})
	s.settle(r.Key)
}

// unqueue takes a request out of the queue, ending its wait.
func (s *Site) unqueue(e *lockEntry, r *Request) {
	e.queue = remove(e.queue, r)
	if r.batch.waiting == r {
		r.batch.waiting = nil
	}
	if r.evaluated {
		s.n.env.WaitsFor(r.Txn, nil)
	}
	if r.Timer != 0 {
		s.n.env.CancelTimer(r.Timer)
	}
	r.Blockers, r.evaluated, r.Timer, r.probed = nil, false, 0, nil
}

// release ends an aborted attempt here: its request leaves the queue
// unanswered (its coordinator has moved on) and its locks go, which may
// grant others.
func (s *Site) release(b releaseBody, reply func(ackBody)) {
	s.end(b.Txn)
	reply(ackBody{})
}

func (s *Site) end(name string) {
	s.finished[name] = true
	a := s.attempts[name]
	if a == nil {
		return
	}
	delete(s.attempts, name)
	var keys []string
	if a.batch != nil && a.batch.waiting != nil {
		w := a.batch.waiting
		s.unqueue(s.locks[w.Key], w)
		keys = append(keys, w.Key)
	}
	for _, k := range a.held {
		e := s.locks[k]
		if h := e.holding(name); h != nil {
			e.holders = remove(e.holders, h)
		}
		keys = append(keys, k)
	}
	for _, k := range keys {
		s.settle(k)
	}
}

// apply is the one-round commit at a participant: write the values, make
// them durable, release. It is applied at most once, even when repeated
// after a crash: the store remembers which transactions it applied.
func (s *Site) apply(b applyBody, reply func(ackBody)) {
	st := s.n.env.Store()
	if _, done := st.Get(appliedKey(b.Txn)); !done {
		for _, k := range sortedKeys(b.Writes) {
			st.Put(dataKey(k), b.Writes[k])
		}
		st.Put(appliedKey(b.Txn), []byte{1})
		st.Sync()
	}
	s.end(b.Txn)
	reply(ackBody{})
}

// waitingRequest is the request the attempt waits with here, or nil.
func (s *Site) waitingRequest(name string) *Request {
	if a := s.attempts[name]; a != nil && a.batch != nil {
		return a.batch.waiting
	}
	return nil
}

// edges are the site's local wait-for edges, waiters in name order.
func (s *Site) edges() []edge {
	var out []edge
	for _, a := range s.attempts {
		if a.batch != nil && a.batch.waiting != nil && a.batch.waiting.evaluated {
			w := a.batch.waiting
			out = append(out, edge{Waiter: w.Owner, WaitsFor: w.Blockers})
		}
	}
	slices.SortFunc(out, func(a, b edge) int { return compareNames(a.Waiter.Txn, b.Waiter.Txn) })
	return out
}

// Wound asks the coordinator of o to abort it (wound-wait), for the sake
// of the waiting request by: the wound is repeated until the coordinator
// answers, or by no longer waits.
func (s *Site) Wound(o Owner, by *Request) {
	still := func() bool { return s.waitingRequest(by.Txn) == by }
	ask(s.n, o.Coord, "wound", abortBody{Txn: o.Txn, Cause: txn.Wounded}, s.n.coord.wounded, still, func(ackBody) {})
}
