package deadlock

import (
	"encoding/json"
	"fmt"
)

// Mode is a lock's mode: shared for reading, exclusive for writing.
type Mode int

const (
	Shared Mode = iota
	Exclusive
)

func (m Mode) String() string {
	if m == Exclusive {
		return "X"
	}
	return "S"
}

// covers reports whether holding a lock in mode held serves a request for
// mode want.
func covers(held, want Mode) bool { return held == Exclusive || want == Shared }

// compatible is the lock compatibility matrix: only two shared locks may
// be held together.
func compatible(a, b Mode) bool { return a == Shared && b == Shared }

// TS is a transaction's timestamp: when its coordinator first started it,
// with the coordinator's index and a sequence number to make it unique. A
// transaction keeps its timestamp through every restart, so it grows older
// relative to every newcomer until it is the oldest: that is what frees
// wait-die and wound-wait from starvation (Rosenkrantz, Stearns & Lewis
// 1978).
type TS struct {
	Time int64 `json:"t"`
	Node int   `json:"n"`
	Seq  int   `json:"s"`
}

// Before reports whether a is older than b.
func (a TS) Before(b TS) bool {
	if a.Time != b.Time {
		return a.Time < b.Time
	}
	if a.Node != b.Node {
		return a.Node < b.Node
	}
	return a.Seq < b.Seq
}

// Owner is one attempt of a transaction as a lock table knows it: the
// attempt's name, its coordinator (where wounds, victims and probes go) and
// its transaction's timestamp.
type Owner struct {
	Txn   string `json:"txn"`
	Coord string `json:"coord"`
	TS    TS     `json:"ts"`
}

func (o Owner) String() string { return o.Txn }

// Messages between nodes. Requests from a coordinator to a participant are
// repeated until answered, and a participant answers a repeat as it would
// the first copy, so a message lost in a partition delays a transaction
// without losing it.
type (
	// lock asks a site for locks on some of its keys, taken one after
	// the other in the order given; the answer comes when all are granted
	// (with the keys' values) or one is refused (with the cause). Step
	// numbers the attempt's requests, so that a repeat is recognized.
	lockBody struct {
		Owner
		Step  int        `json:"step"`
		Locks []lockItem `json:"locks"`
	}
	lockItem struct {
		Key  string `json:"key"`
		Mode Mode   `json:"mode"`
	}
	lockReply struct {
		Granted bool                       `json:"granted"`
		Values  map[string]json.RawMessage `json:"values,omitempty"`
		Cause   string                     `json:"cause,omitempty"`
		// At is when a refused request was refused, on the site's clock:
		// the moment the attempt was in effect aborted.
		At float64 `json:"at,omitempty"`
	}
	// release ends an aborted attempt at a participant: its locks go and
	// a request of it still queued leaves the queue.
	releaseBody struct {
		Txn string `json:"txn"`
	}
	// apply is the one-round commit: write these values, then release.
	applyBody struct {
		Txn    string                     `json:"txn"`
		Writes map[string]json.RawMessage `json:"writes,omitempty"`
	}
	ackBody struct{}
	// abort (one-way) and wound (repeated until answered) ask a
	// coordinator to abort an attempt: a detector's choice of victim, or a
	// wound.
	abortBody struct {
		Txn   string `json:"txn"`
		Cause string `json:"cause"`
	}
)

// attemptName names attempt a of transaction id.
func attemptName(id string, a int) string { return fmt.Sprintf("%s#%d", id, a) }
