// Package lock is the lock workload: clients acquire named locks from the
// lock service under test, and while they hold one they read, increment
// and write back a register of the protected resource (a service beside
// the nodes, maelstrom.ResourceID). The history then shows both what the
// lock service answered and what the holders did to the resource, which is
// what the lock checkers judge. docs/locking.md has the wire schema.
//
// Each arrival of the open-loop schedule is one acquisition by one client,
// played as a sequence (workloads.Sequencer):
//
//  1. acquire {lock, client: owner, ttl_ms}; on a refusal (lock held) or a
//     definite failure, back off for a random, growing time and ask again
//     until the client's patience runs out. A client that got no answer asks again
//     under the same owner until it gets one: a service grants a repeated
//     request to the owner that holds the lock, so this is how a client
//     learns whether it got the lock, and no lock stays held by a client
//     that has moved on.
//  2. Granted: the critical section. The client checks its lease by its
//     own clock, reads the resource, checks again (DDIA's lease.isValid()
//     before processing), works for Hold (processing the request), then
//     writes back what it read plus one. A lease is counted from when the
//     client sent its acquire, so a grant that took long to arrive leaves
//     less of it. If the lease has run out at a check, the client skips
//     the rest; a fenced resource refusing an access ends it too.
//  3. release {lock, client, token}, asked again until a definite answer.
//
// A client reports the role "holder" (HolderRole) while it works under its
// lock, from its last lease check to sending its write, so that the pause
// nemesis can strike a holder there: where Kleppmann's and DDIA's process
// pauses strike.
package lock

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/lockops"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

// HolderRole is the role a client reports while it works under its lock.
const HolderRole = "holder"

// Config shapes the load.
type Config struct {
	// Locks is the number of lock names in use at once; each is retired
	// for a fresh one after PerLockLimit acquisitions (0: never), as the
	// register retires keys, which keeps each lock's history short enough
	// to check.
	Locks        int  `json:"locks"`
	PerLockLimit int  `json:"per_lock_limit"`
	Zipf         bool `json:"zipf,omitempty"`
	// Hold is how long a holder works between reading the resource and
	// writing it back.
	Hold time.Duration `json:"hold"`
	// TTL is the lease the clients ask for (ttl_ms); services without
	// leases ignore it. Zero asks for none.
	TTL time.Duration `json:"ttl"`
	// Fencing makes the protected resource refuse accesses with a token
	// lower than one it has seen (Kleppmann's fenced storage). Runs of a
	// strategy that hands out fencing tokens turn it on.
	Fencing bool `json:"fencing"`
	// Patience is how long after its arrival a client keeps asking for a
	// lock that is refused; the harness sets it to the op timeout.
	Patience time.Duration `json:"patience"`
}

// DefaultConfig is four locks at a time, 40 acquisitions each, a 10 ms
// critical section, leases of 200 ms (twenty critical sections).
func DefaultConfig() Config {
	return Config{Locks: 4, PerLockLimit: 40, Hold: 10 * time.Millisecond, TTL: 200 * time.Millisecond, Patience: 5 * time.Second}
}

// Validate reports a config that cannot generate load.
func (c Config) Validate() error {
	switch {
	case c.Locks < 1:
		return fmt.Errorf("lock: lock count must be at least 1, got %d", c.Locks)
	case c.PerLockLimit < 0:
		return fmt.Errorf("lock: the per-lock limit must not be negative, got %d", c.PerLockLimit)
	case c.Hold < 0:
		return fmt.Errorf("lock: --hold must not be negative, got %v", c.Hold)
	case c.TTL < 0 || c.TTL%time.Millisecond != 0:
		return fmt.Errorf("lock: --ttl must be a whole number of milliseconds, not negative, got %v", c.TTL)
	case c.Patience < 0:
		return fmt.Errorf("lock: patience must not be negative, got %v", c.Patience)
	}
	return nil
}

// Workload generates acquisitions and plays each client's sequence.
type Workload struct {
	cfg      Config
	locks    *workloads.Rotation
	rng      *rand.Rand // backoff draws, in the order clients need them
	acquired int        // acquisitions generated, for owner names
	acqs     map[string]*acquisition
}

// acquisition is one owner's progress through its sequence.
type acquisition struct {
	arrival  int64         // intended start of the first attempt
	lease    bool          // the grant was a lease ...
	deadline time.Duration // ... valid until this, on the client's clock
	token    int64
	tries    int // attempts so far, for the backoff
}

// New returns the workload; cfg must be valid.
func New(cfg Config) *Workload {
	return &Workload{cfg: cfg, locks: workloads.NewRotation(cfg.Locks, cfg.PerLockLimit, cfg.Zipf), acqs: map[string]*acquisition{}}
}

// Name implements workloads.Workload.
func (w *Workload) Name() string { return "lock" }

// LockName is the name of lock number i.
func LockName(i int) string { return fmt.Sprintf("l%d", i) }

// Generate implements workloads.Workload: an acquisition's first attempt.
func (w *Workload) Generate(rng *rand.Rand) *history.Op {
	if w.rng == nil {
		// Backoffs draw from a stream of their own, split off the load's,
		// so that they do not shift the arrival schedule.
		w.rng = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	}
	w.acquired++
	owner := fmt.Sprintf("a%d", w.acquired)
	op := &history.Op{F: lockops.Acquire, Key: LockName(w.locks.Next(rng)),
		Value: lockops.AcquireArgs{Owner: owner, TTLMS: w.cfg.TTL.Milliseconds()}}
	w.acqs[owner] = &acquisition{arrival: -1}
	return op
}

// Final reads every lock's register once the cluster has healed, as an
// observer (no token): the lost-increment check compares it with the
// critical sections that completed.
func (w *Workload) Final() []*history.Op {
	ops := make([]*history.Op, w.locks.Used())
	for i := range ops {
		ops[i] = &history.Op{F: lockops.Read, Key: LockName(i), Node: maelstrom.ResourceID}
	}
	return ops
}

// Request implements workloads.Workload.
func (w *Workload) Request(op *history.Op) (string, any) {
	switch v := op.Value.(type) {
	case lockops.AcquireArgs:
		return "acquire", maelstrom.AcquireBody{Lock: op.Key, Client: v.Owner, TTLMS: v.TTLMS}
	case lockops.ReleaseArgs:
		return "release", maelstrom.ReleaseBody{Lock: op.Key, Client: v.Owner, Token: v.Token}
	case lockops.AccessArgs:
		if op.F == lockops.Write {
			return "write", maelstrom.ResourceWriteBody{Key: op.Key, Token: v.Token, Value: v.Value}
		}
		token := v.Token
		return "read", maelstrom.ResourceReadBody{Key: op.Key, Token: &token}
	}
	return "read", maelstrom.ResourceReadBody{Key: op.Key} // a final read
}

// Complete implements workloads.Workload.
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	if err := workloads.ExpectReply(op, resp); err != nil {
		return err
	}
	switch op.F {
	case lockops.Acquire:
		body, err := maelstrom.Decode[maelstrom.AcquireOKBody](resp)
		if err != nil {
			return err
		}
		if body.ExpiresMS < 0 {
			return fmt.Errorf("acquire_ok with negative expires_ms %d", body.ExpiresMS)
		}
		op.Result = body
	case lockops.Read, lockops.Write:
		body, err := maelstrom.Decode[maelstrom.ResourceOKBody](resp)
		if err != nil {
			return err
		}
		op.Result = body
	}
	return nil
}

// ErrorIsResult implements workloads.Workload: a refusal is an answer the
// checkers use.
func (w *Workload) ErrorIsResult(op *history.Op, code int) bool {
	switch code {
	case maelstrom.LockHeld:
		return op.F == lockops.Acquire
	case maelstrom.NotLockHolder:
		return op.F == lockops.Release
	case maelstrom.StaleToken:
		return op.F == lockops.Read || op.F == lockops.Write
	}
	return false
}

// Next implements workloads.Sequencer: the acquisition's next step.
func (w *Workload) Next(op *history.Op, clock workloads.ClientClock) workloads.Step {
	owner := ownerOf(op)
	a := w.acqs[owner]
	if a == nil {
		return workloads.Step{}
	}
	if a.arrival < 0 {
		a.arrival = op.Intended
	}
	refused := op.Outcome == history.OK && op.Error != nil
	switch op.F {
	case lockops.Acquire:
		switch {
		case op.Outcome == history.OK && !refused:
			g := op.Result.(maelstrom.AcquireOKBody)
			a.token = g.Token
			if g.ExpiresMS > 0 {
				a.lease, a.deadline = true, clock.Invoked+time.Duration(g.ExpiresMS)*time.Millisecond
			}
			if !w.valid(a, clock) {
				return w.release(op, owner, a)
			}
			return workloads.Step{Op: w.access(op, lockops.Read, owner, a, 0)}
		case op.Outcome == history.Info:
			// It may hold the lock: ask again as the same owner.
			return workloads.Step{Op: w.retry(op, owner, a), After: w.backoff(a)}
		case time.Duration(op.Complete-a.arrival) < w.cfg.Patience:
			return workloads.Step{Op: w.retry(op, owner, a), After: w.backoff(a)}
		}
		return w.done(owner)
	case lockops.Read:
		if op.Outcome != history.OK || refused || !w.valid(a, clock) {
			return w.release(op, owner, a)
		}
		read := op.Result.(maelstrom.ResourceOKBody).Value
		return workloads.Step{Op: w.access(op, lockops.Write, owner, a, read+1), After: w.cfg.Hold, Role: HolderRole}
	case lockops.Write:
		return w.release(op, owner, a)
	case lockops.Release:
		if op.Outcome == history.OK {
			return w.done(owner)
		}
		return workloads.Step{Op: w.releaseOp(op, owner, a), After: w.backoff(a)}
	}
	return w.done(owner)
}

// valid is the client's lease check, on its own clock.
func (w *Workload) valid(a *acquisition, clock workloads.ClientClock) bool {
	return !a.lease || clock.Now < a.deadline
}

func (w *Workload) done(owner string) workloads.Step {
	delete(w.acqs, owner)
	return workloads.Step{}
}

func (w *Workload) retry(op *history.Op, owner string, a *acquisition) *history.Op {
	return &history.Op{F: lockops.Acquire, Key: op.Key, Intended: a.arrival, Value: op.Value}
}

func (w *Workload) access(op *history.Op, f, owner string, a *acquisition, value int64) *history.Op {
	return &history.Op{F: f, Key: op.Key, Node: maelstrom.ResourceID, Value: lockops.AccessArgs{Owner: owner, Token: a.token, Value: value}}
}

func (w *Workload) release(op *history.Op, owner string, a *acquisition) workloads.Step {
	return workloads.Step{Op: w.releaseOp(op, owner, a)}
}

func (w *Workload) releaseOp(op *history.Op, owner string, a *acquisition) *history.Op {
	return &history.Op{F: lockops.Release, Key: op.Key, Value: lockops.ReleaseArgs{Owner: owner, Token: a.token}}
}

// backoff is a random wait before asking again, so that contenders spread
// out: between one and three critical sections' time (at least a
// millisecond), doubling with each try up to sixteen times that, as
// Ethernet's exponential backoff does.
func (w *Workload) backoff(a *acquisition) time.Duration {
	base := max(w.cfg.Hold, time.Millisecond) << min(a.tries, 4)
	a.tries++
	return base + time.Duration(w.rng.Int64N(int64(2*base)+1))
}

func ownerOf(op *history.Op) string {
	switch v := op.Value.(type) {
	case lockops.AcquireArgs:
		return v.Owner
	case lockops.AccessArgs:
		return v.Owner
	case lockops.ReleaseArgs:
		return v.Owner
	}
	return ""
}
