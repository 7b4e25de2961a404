package deadlock

import (
	"time"

	"github.com/ddbbench/ddbbench/history/txn"
)

// Policy is what a strategy does when a lock request conflicts: the only
// thing the six strategies do differently.
type Policy interface {
	// Conflict is called for a request that must wait, with r.Blockers the
	// attempts it waits for: when it first has to wait, whenever that set
	// changes (fresh lists the newcomers), and when its coordinator
	// repeats the request (repeated, fresh nil). It returns the cause to
	// abort the requester with, or "" to let it wait. It may act on the
	// blockers (wound them, probe them) through the site.
	Conflict(s *Site, r *Request, fresh []Owner, repeated bool) (abort string)
	// Start is called once the node is initialized, for policies that run
	// a protocol of their own (the detectors).
	Start(n *Node)
}

// Wait is plain strict 2PL: a conflicting request waits until the lock is
// free, however long that is. Two transactions that each hold what the
// other wants wait forever (Gray, Lorie, Putzolu & Traiger 1976; Bernstein,
// Hadzilacos & Goodman 1987, §3.4).
type Wait struct{}

func (Wait) Conflict(*Site, *Request, []Owner, bool) string { return "" }
func (Wait) Start(*Node)                                    {}

// Timeout waits at most After for a lock, then aborts the requester: a
// deadlock lasts no longer than the timeout, but so does any long wait,
// deadlocked or not (Bernstein, Hadzilacos & Goodman 1987, §3.4 "timeout";
// Özsu & Valduriez, §11.6).
type Timeout struct{ After time.Duration }

func (p Timeout) Conflict(s *Site, r *Request, _ []Owner, _ bool) string {
	if r.Timer == 0 {
		r.Timer = s.n.env.SetTimer(p.After, func() { s.refuse(r, txn.TimedOut) })
	}
	return ""
}
func (Timeout) Start(*Node) {}

// WaitDie is Rosenkrantz, Stearns & Lewis's non-preemptive rule: a
// requester older than every transaction it would wait for waits; a
// younger one dies, and restarts with its old timestamp. Waits only ever
// go from older to younger, so no cycle can form; and the oldest
// transaction never dies, so it finishes.
type WaitDie struct{}

func (WaitDie) Conflict(_ *Site, r *Request, _ []Owner, _ bool) string {
	for _, b := range r.Blockers {
		if b.TS.Before(r.TS) {
			return txn.Died
		}
	}
	return ""
}
func (WaitDie) Start(*Node) {}

// WoundWait is Rosenkrantz, Stearns & Lewis's preemptive rule: a requester
// older than a holder wounds it (the holder aborts, unless it is already
// committing) and waits for the lock; a younger requester waits. Waits
// only ever go from younger to older, so no cycle can form; the oldest
// transaction is never wounded, so it finishes. The paper's messages are
// reliable: a wound is repeated until the wounded transaction's
// coordinator answers.
type WoundWait struct{}

func (WoundWait) Conflict(s *Site, r *Request, fresh []Owner, _ bool) string {
	for _, b := range fresh {
		if r.TS.Before(b.TS) {
			s.Wound(b, r)
		}
	}
	return ""
}
func (WoundWait) Start(*Node) {}
