package lock

import (
	"bytes"
	"testing"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/lockops"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// Builders for lock histories. Times are in ms for readability and turned
// into ns; a client's process is its number.

const msNS = 1_000_000

func process(client string) int {
	n := 0
	for _, c := range client[1:] {
		n = n*10 + int(c-'0')
	}
	return n
}

// grant is an acquire that was granted; lease > 0 makes it a lease.
func grant(client, lock, owner string, invoke, complete, token, lease int64) *history.Op {
	return &history.Op{Process: process(client), Client: client, F: lockops.Acquire, Key: lock,
		Value:   lockops.AcquireArgs{Owner: owner, TTLMS: lease},
		Result:  maelstrom.AcquireOKBody{Token: token, ExpiresMS: lease},
		Outcome: history.OK, Intended: invoke * msNS, Invoke: invoke * msNS, Complete: complete * msNS}
}

// refused is an acquire refused with lock-held.
func refused(client, lock, owner string, invoke, complete int64) *history.Op {
	return &history.Op{Process: process(client), Client: client, F: lockops.Acquire, Key: lock,
		Value: lockops.AcquireArgs{Owner: owner}, Outcome: history.OK, Error: &history.Error{Code: maelstrom.LockHeld},
		Intended: invoke * msNS, Invoke: invoke * msNS, Complete: complete * msNS}
}

// release is a release answered ok.
func release(client, lock, owner string, token, invoke, complete int64) *history.Op {
	return &history.Op{Process: process(client), Client: client, F: lockops.Release, Key: lock,
		Value: lockops.ReleaseArgs{Owner: owner, Token: token}, Outcome: history.OK,
		Intended: invoke * msNS, Invoke: invoke * msNS, Complete: complete * msNS}
}

func notHolder(op *history.Op) *history.Op {
	op.Error = &history.Error{Code: maelstrom.NotLockHolder}
	return op
}

// info makes an op unanswered; fenced makes an access refused.
func info(op *history.Op) *history.Op {
	op.Outcome, op.Result, op.Error = history.Info, nil, &history.Error{Code: maelstrom.Timeout}
	op.Complete = op.Invoke + 1000*msNS
	return op
}

func fenced(op *history.Op) *history.Op {
	op.Result, op.Error = nil, &history.Error{Code: maelstrom.StaleToken}
	return op
}

// access is an accepted read (value read) or write (value written) that the
// resource served as its seq-th access of the lock, at ms.
func access(f, client, lock, owner string, token, value, seq, at int64) *history.Op {
	args := lockops.AccessArgs{Owner: owner, Token: token}
	if f == lockops.Write {
		args.Value = value
	}
	return &history.Op{Process: process(client), Client: client, Node: maelstrom.ResourceID, F: f, Key: lock,
		Value: args, Result: maelstrom.ResourceOKBody{Value: value, Seq: seq, AtNS: at * msNS}, Outcome: history.OK,
		Intended: at * msNS, Invoke: at * msNS, Complete: at * msNS}
}

func rd(client, lock, owner string, token, value, seq, at int64) *history.Op {
	return access(lockops.Read, client, lock, owner, token, value, seq, at)
}

func wr(client, lock, owner string, token, value, seq, at int64) *history.Op {
	return access(lockops.Write, client, lock, owner, token, value, seq, at)
}

// final is the observer's read after healing.
func final(lock string, value, seq int64) *history.Op {
	return &history.Op{Client: "c0", Node: maelstrom.ResourceID, F: lockops.Read, Key: lock, Final: true,
		Result: maelstrom.ResourceOKBody{Value: value, Seq: seq}, Outcome: history.OK}
}

func hist(ops ...*history.Op) history.History {
	for i, op := range ops {
		op.Index = i
	}
	return ops
}

// roundTrip is h as it comes back from history.jsonl.
func roundTrip(t *testing.T, h history.History) history.History {
	t.Helper()
	var b bytes.Buffer
	if err := h.WriteJSONL(&b); err != nil {
		t.Fatal(err)
	}
	back, err := history.ReadJSONL(&b)
	if err != nil {
		t.Fatal(err)
	}
	return back
}
