// Package lockops is the shape of the lock workload's operations in a
// history. The workload writes them, the lock checkers read them back,
// from memory or from history.jsonl (where values are generic JSON); Parse
// accepts both forms.
//
// A client's acquisition is a sequence of operations on one lock (the op's
// Key), all naming the same owner: one or more acquire attempts, then, if
// granted, the critical section's read and write of the protected
// resource, then the release. An acquire refused because the lock is held
// (error 1000), a release by a non-holder (1001) and an access the fenced
// resource refused (1002) are answers the checkers use, so they are
// recorded as ok with the error attached, as the register records 20 and
// 22.
package lockops

import (
	"encoding/json"
	"fmt"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// Operation functions.
const (
	Acquire = "acquire"
	Release = "release"
	Read    = "read"  // of the protected resource
	Write   = "write" // of the protected resource
)

// AcquireArgs is an acquire's Value.
type AcquireArgs struct {
	Owner string `json:"owner"`
	TTLMS int64  `json:"ttl_ms,omitempty"`
}

// AccessArgs is a resource read's or write's Value; a final read, made by
// no owner, has none.
type AccessArgs struct {
	Owner string `json:"owner"`
	Token int64  `json:"token"`
	Value int64  `json:"value,omitempty"` // write: the value written
}

// ReleaseArgs is a release's Value.
type ReleaseArgs struct {
	Owner string `json:"owner"`
	Token int64  `json:"token"`
}

// Op is a lock workload operation with its arguments and results decoded.
type Op struct {
	*history.Op
	Owner string // "" for a final read
	TTLMS int64  // acquire
	Token int64  // access, release: the token used
	Value int64  // write: the value written
	// Grant is an acquire's answer when it was granted.
	Grant *maelstrom.AcquireOKBody
	// Access is what the resource answered an accepted read or write.
	Access *maelstrom.ResourceOKBody
	// Code is the error of an op that ended ok with an answer the checkers
	// use (LockHeld, NotLockHolder, StaleToken); 0 otherwise.
	Code int
}

// Granted reports an acquire that got the lock.
func (o Op) Granted() bool { return o.F == Acquire && o.Outcome == history.OK && o.Grant != nil }

// Refused reports an ok op whose answer was a refusal: the lock was held,
// the releaser was not the holder, or the resource fenced the access off.
func (o Op) Refused() bool { return o.Outcome == history.OK && o.Code != 0 }

// Accepted reports a resource access that took effect, as the resource
// said.
func (o Op) Accepted() bool {
	return (o.F == Read || o.F == Write) && o.Outcome == history.OK && o.Access != nil
}

// Parse decodes every operation of a lock history, in history order.
func Parse(h history.History) ([]Op, error) {
	out := make([]Op, 0, len(h))
	for _, op := range h {
		if op == nil {
			continue
		}
		o, err := parse(op)
		if err != nil {
			return nil, fmt.Errorf("history index %d (%s on %q by %s): %w", op.Index, op.F, op.Key, op.Client, err)
		}
		out = append(out, o)
	}
	return out, nil
}

func parse(op *history.Op) (Op, error) {
	o := Op{Op: op}
	if op.Outcome == history.OK && op.Error != nil {
		want := map[string]int{Acquire: maelstrom.LockHeld, Release: maelstrom.NotLockHolder, Read: maelstrom.StaleToken, Write: maelstrom.StaleToken}[op.F]
		if op.Error.Code != want {
			return o, fmt.Errorf("ok with error %d: only %d is an answer for %s", op.Error.Code, want, op.F)
		}
		o.Code = op.Error.Code
	}
	switch op.F {
	case Acquire:
		a, err := as[AcquireArgs](op.Value)
		if err != nil {
			return o, fmt.Errorf("acquire arguments: %w", err)
		}
		o.Owner, o.TTLMS = a.Owner, a.TTLMS
		if op.Outcome == history.OK && o.Code == 0 {
			g, err := as[maelstrom.AcquireOKBody](op.Result)
			if err != nil {
				return o, fmt.Errorf("acquire result: %w", err)
			}
			o.Grant = &g
		}
	case Read, Write:
		if op.Value != nil {
			a, err := as[AccessArgs](op.Value)
			if err != nil {
				return o, fmt.Errorf("%s arguments: %w", op.F, err)
			}
			o.Owner, o.Token, o.Value = a.Owner, a.Token, a.Value
		} else if op.F == Write {
			return o, fmt.Errorf("a write without arguments")
		}
		if op.Outcome == history.OK && o.Code == 0 {
			r, err := as[maelstrom.ResourceOKBody](op.Result)
			if err != nil {
				return o, fmt.Errorf("%s result: %w", op.F, err)
			}
			o.Access = &r
		}
	case Release:
		a, err := as[ReleaseArgs](op.Value)
		if err != nil {
			return o, fmt.Errorf("release arguments: %w", err)
		}
		o.Owner, o.Token = a.Owner, a.Token
	default:
		return o, fmt.Errorf("not a lock operation (want acquire, read, write or release)")
	}
	if o.Owner == "" && !(op.F == Read && op.Final) {
		return o, fmt.Errorf("no owner")
	}
	return o, nil
}

// as reads a value of type T: as is when the workload stored a T, through
// JSON when it came back from history.jsonl as generic values.
func as[T any](v any) (T, error) {
	if t, ok := v.(T); ok {
		return t, nil
	}
	if p, ok := v.(*T); ok && p != nil {
		return *p, nil
	}
	var out T
	if v == nil {
		return out, fmt.Errorf("missing")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, err
	}
	return out, nil
}
