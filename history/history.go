// Package history is the record of a run: what each client asked, what it was
// told and when. Workloads write it, checkers read it.
package history

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Outcome is how an operation ended, in Jepsen's terms.
type Outcome string

const (
	// OK: the operation happened, with the recorded result.
	OK Outcome = "ok"
	// Fail: the operation certainly did not happen (a definite error).
	Fail Outcome = "fail"
	// Info: the operation may or may not have happened (timeout, crash,
	// indefinite error). Its effects may appear at any later time.
	Info Outcome = "info"
)

// Error is the Maelstrom error an operation received.
type Error struct {
	Code int    `json:"code"`
	Text string `json:"text,omitempty"`
}

// RunEnded is the text of the timeout the harness records for an operation
// still waiting for its reply when the run ended early (interrupted, or
// failed elsewhere): the node never had its full time to answer.
const RunEnded = "run ended before a reply"

// RunEnded reports whether the harness gave up on the operation because the
// run ended, rather than the node failing to answer in time.
func (e *Error) Abandoned() bool { return e != nil && e.Text == RunEnded }

// Op is one client operation: its invocation and its completion.
//
// Times are nanoseconds since the run started: virtual time in the simulator,
// wall-clock time with real processes. Intended is when the open-loop
// schedule wanted the operation to start; latency is measured from it, so a
// slow system is not excused by the clients having waited.
type Op struct {
	Index   int    `json:"index"`
	Process int    `json:"process"` // logical client; a client gets a new process after an info op
	Client  string `json:"client"`  // the client's node id on the wire
	Node    string `json:"node"`    // the server node the client talks to
	F       string `json:"f"`
	Key     string `json:"key,omitempty"`
	Value   any    `json:"value,omitempty"`  // the invocation's argument
	Result  any    `json:"result,omitempty"` // what the completion returned

	Outcome Outcome `json:"type"`
	Error   *Error  `json:"error,omitempty"`
	Final   bool    `json:"final,omitempty"` // issued in the final phase, after healing

	Intended int64 `json:"intended"`
	Invoke   int64 `json:"invoke"`
	Complete int64 `json:"complete"`
}

// Latency is the time from the intended start to completion.
func (op *Op) Latency() time.Duration { return time.Duration(op.Complete - op.Intended) }

// ServiceTime is the time from the actual invocation to completion.
func (op *Op) ServiceTime() time.Duration { return time.Duration(op.Complete - op.Invoke) }

// History is the operations of a run in the order they completed.
type History []*Op

// WriteJSONL writes one operation per line.
func (h History) WriteJSONL(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, op := range h {
		if err := enc.Encode(op); err != nil {
			return fmt.Errorf("history op %d: %w", op.Index, err)
		}
	}
	return bw.Flush()
}

// Digest is a hash of the history's JSONL encoding: two runs with the same
// digest recorded the same operations with the same results at the same times.
func (h History) Digest() string {
	sum := sha256.New()
	if err := h.WriteJSONL(sum); err != nil {
		return "unencodable: " + err.Error()
	}
	return hex.EncodeToString(sum.Sum(nil))
}

// ReadJSONL reads a history written by WriteJSONL. Values come back as
// generic JSON values (json.Number, []any, map[string]any).
func ReadJSONL(r io.Reader) (History, error) {
	var h History
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		op := new(Op)
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber() // ids past 2^53 must not collapse into one float
		if err := dec.Decode(op); err != nil {
			return nil, fmt.Errorf("history line %d: %w", line, err)
		}
		h = append(h, op)
	}
	return h, sc.Err()
}

// Fault is one nemesis action's active window, recorded beside the history so
// that checkers can tell what happened while faults were in force.
type Fault struct {
	Kind   string `json:"kind"`             // "partition", "kill", ...
	Detail string `json:"detail,omitempty"` // what exactly: the grudge, the nodes
	Start  int64  `json:"start"`            // ns since the run started
	End    int64  `json:"end"`              // when it was healed; the run's end if never
}

// Active reports whether any fault was in force at time t.
func Active(faults []Fault, t int64) bool {
	for _, f := range faults {
		if t >= f.Start && t < f.End {
			return true
		}
	}
	return false
}
