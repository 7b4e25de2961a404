// Package echo checks Maelstrom's echo workload: every echo must come back
// with exactly the payload it was sent (op.Value against op.Result, compared
// as JSON values). As in Maelstrom's echo checker, an echo that did not come
// back at all is an error too: a reply that did not fit the protocol (wrong
// type, no echo field; the driver records it as info with code
// malformed-request), a timeout, an error reply. Echo has no state to lose
// and no reason to refuse, so a node that cannot answer an echo is broken.
//
// The exception is an operation the harness itself gave up on because the
// run ended early (an interrupt, a failure elsewhere): the node never had its
// full time to answer, and the run's verdict is unknown anyway.
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
	OKCount        int `json:"ok_count"`
	FailCount      int `json:"fail_count"`
	InfoCount      int `json:"info_count"`
	MismatchCount  int `json:"mismatch_count"`  // answered with another payload
	MalformedCount int `json:"malformed_count"` // answered with a reply that did not fit the protocol
	// UnansweredCount is echoes that timed out or got an error reply.
	UnansweredCount int        `json:"unanswered_count"`
	Errors          []Mismatch `json:"errors,omitempty"` // the first 32
}

// Mismatch is an echo that came back wrong, or not as an echo at all.
type Mismatch struct {
	Index    int    `json:"index"`
	Client   string `json:"client,omitempty"`
	Node     string `json:"node,omitempty"`
	Sent     any    `json:"sent"`
	Received any    `json:"received,omitempty"`
	Error    string `json:"error,omitempty"`
	// Malformed says the reply came but did not fit the protocol; Error
	// says why.
	Malformed bool `json:"malformed,omitempty"`
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
			ev.UnansweredCount++
			note(Mismatch{Index: op.Index, Client: op.Client, Node: op.Node, Sent: op.Value, Error: errorText(op.Error)})
		default:
			ev.InfoCount++
			switch {
			case op.Error.Abandoned():
				// The harness stopped waiting when the run ended.
			case op.Error != nil && op.Error.Code == maelstrom.MalformedRequest:
				// A definite error code on an info op can only come
				// from the driver rejecting the reply.
				ev.MalformedCount++
				note(Mismatch{Index: op.Index, Client: op.Client, Node: op.Node, Sent: op.Value, Error: op.Error.Text, Malformed: true})
			default:
				ev.UnansweredCount++
				note(Mismatch{Index: op.Index, Client: op.Client, Node: op.Node, Sent: op.Value, Error: errorText(op.Error)})
			}
		}
	}
	counts := fmt.Sprintf("%d ok, %d failed, %d indefinite", ev.OKCount, ev.FailCount, ev.InfoCount)
	switch {
	case ev.MismatchCount+ev.MalformedCount+ev.UnansweredCount > 0:
		var parts []string
		for i, m := range ev.Errors {
			if i == 3 {
				parts = append(parts, "...")
				break
			}
			switch {
			case m.Malformed:
				parts = append(parts, fmt.Sprintf("op %d sent %s and got a malformed reply: %s", m.Index, jsonval.Canon(m.Sent), m.Error))
			case m.Error != "":
				parts = append(parts, fmt.Sprintf("op %d sent %s and got no echo: %s", m.Index, jsonval.Canon(m.Sent), m.Error))
			default:
				parts = append(parts, fmt.Sprintf("op %d sent %s, got %s back", m.Index, jsonval.Canon(m.Sent), jsonval.Canon(m.Received)))
			}
		}
		res.Valid = checkers.Invalid
		res.Summary = fmt.Sprintf("%d wrong echoes, %d malformed replies, %d unanswered: %s (%s)",
			ev.MismatchCount, ev.MalformedCount, ev.UnansweredCount, strings.Join(parts, "; "), counts)
	case ev.OKCount == 0:
		res.Valid = checkers.Unknown
		res.Summary = "no echo was answered (" + counts + ")"
	default:
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("all %d answered echoes matched (%s)", ev.OKCount, counts)
	}
	return res
}

// errorText describes an error an echo got instead of its payload.
func errorText(e *history.Error) string {
	if e == nil {
		return "no reply"
	}
	return fmt.Sprintf("error %d: %s", e.Code, e.Text)
}
