// Package echo checks Maelstrom's echo workload: every echo a node answered
// must carry back exactly the payload it was sent (op.Value against
// op.Result, compared as JSON values). A reply that did not fit the protocol
// at all (wrong type, no echo field), which the driver records as info with
// code malformed-request, is an error too: Maelstrom counts every echo that
// did not come back as an error.
//
// Unlike Maelstrom, timeouts and error replies do not make the history
// invalid by themselves: under faults a node may well be unreachable, and
// availability is judged separately (--availability). They are counted.
package echo

import (
	"fmt"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/jsonval"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// Options configure the checker.
type Options struct {
	// Name is the checker's name in results; "echo" when empty.
	Name string
	// F is the operation name; "echo" when empty.
	F string
}

// Checker is the echo checker.
type Checker struct{ o Options }

// New returns an echo checker.
func New(o Options) *Checker {
	if o.Name == "" {
		o.Name = "echo"
	}
	if o.F == "" {
		o.F = "echo"
	}
	return &Checker{o: o}
}

// Name implements checkers.Checker.
func (c *Checker) Name() string { return c.o.Name }

// Evidence is the checker's machine-readable detail.
type Evidence struct {
	OKCount        int        `json:"ok_count"`
	FailCount      int        `json:"fail_count"`
	InfoCount      int        `json:"info_count"`
	MismatchCount  int        `json:"mismatch_count"`
	MalformedCount int        `json:"malformed_count"`
	Errors         []Mismatch `json:"errors,omitempty"` // the first 32
}

// Mismatch is an echo that came back wrong, or not as an echo at all.
type Mismatch struct {
	Index    int    `json:"index"`
	Client   string `json:"client,omitempty"`
	Node     string `json:"node,omitempty"`
	Sent     any    `json:"sent"`
	Received any    `json:"received,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Check implements checkers.Checker.
func (c *Checker) Check(h history.History) checkers.Result {
	res := checkers.Result{Checker: c.o.Name}
	ev := &Evidence{}
	res.Evidence = ev
	note := func(m Mismatch) {
		if len(ev.Errors) < 32 {
			ev.Errors = append(ev.Errors, m)
		}
	}
	for _, op := range h {
		if op.F != c.o.F {
			continue
		}
		switch op.Outcome {
		case history.OK:
			ev.OKCount++
			if !jsonval.Equal(op.Value, op.Result) {
				ev.MismatchCount++
				note(Mismatch{Index: op.Index, Client: op.Client, Node: op.Node, Sent: op.Value, Received: op.Result})
			}
		case history.Fail:
			ev.FailCount++
		default:
			ev.InfoCount++
			// A malformed reply: a definite error code on an info op can
			// only come from the driver rejecting the reply.
			if op.Error != nil && op.Error.Code == maelstrom.MalformedRequest {
				ev.MalformedCount++
				note(Mismatch{Index: op.Index, Client: op.Client, Node: op.Node, Sent: op.Value, Error: op.Error.Text})
			}
		}
	}
	counts := fmt.Sprintf("%d ok, %d failed, %d indefinite", ev.OKCount, ev.FailCount, ev.InfoCount)
	switch {
	case ev.MismatchCount+ev.MalformedCount > 0:
		var parts []string
		for i, m := range ev.Errors {
			if i == 3 {
				parts = append(parts, "...")
				break
			}
			if m.Error != "" {
				parts = append(parts, fmt.Sprintf("op %d sent %s and got a malformed reply: %s", m.Index, jsonval.Canon(m.Sent), m.Error))
			} else {
				parts = append(parts, fmt.Sprintf("op %d sent %s, got %s back", m.Index, jsonval.Canon(m.Sent), jsonval.Canon(m.Received)))
			}
		}
		res.Valid = checkers.Invalid
		res.Summary = fmt.Sprintf("%d wrong echoes, %d malformed replies: %s (%s)", ev.MismatchCount, ev.MalformedCount, strings.Join(parts, "; "), counts)
	case ev.OKCount == 0:
		res.Valid = checkers.Unknown
		res.Summary = "no echo was answered (" + counts + ")"
	default:
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("all %d answered echoes matched (%s)", ev.OKCount, counts)
	}
	return res
}
