package echo

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

type e struct {
	sent, got any
	out       history.Outcome
	err       *history.Error
}

func build(es ...e) history.History {
	h := make(history.History, len(es))
	for i, x := range es {
		out := x.out
		if out == "" {
			out = history.OK
		}
		h[i] = &history.Op{Index: i, F: "echo", Value: x.sent, Result: x.got, Outcome: out, Error: x.err, Node: "n0"}
	}
	return h
}

func TestEchoChecker(t *testing.T) {
	cases := []struct {
		name string
		h    history.History
		want checkers.Validity
		in   []string
	}{
		{"every echo matches", build(e{sent: "Please echo 1", got: "Please echo 1"}, e{sent: "Please echo 2", got: "Please echo 2"}), checkers.Valid, nil},
		{"numbers after JSON", build(e{sent: 3, got: float64(3)}, e{sent: []any{1}, got: []any{json.Number("1")}}), checkers.Valid, nil},
		// Maelstrom's checker wants every echo back with its payload: an
		// echo that timed out or got an error is an error too.
		{"a timeout is an error, as in Maelstrom",
			build(e{sent: "a", got: "a"}, e{sent: "b", out: history.Info, err: &history.Error{Code: maelstrom.Timeout, Text: "echo to n0 timed out"}}),
			checkers.Invalid, []string{"1 unanswered", `op 1 sent "b" and got no echo: error 0: echo to n0 timed out`}},
		{"an error reply is an error, as in Maelstrom",
			build(e{sent: "a", got: "a"}, e{sent: "c", out: history.Fail, err: &history.Error{Code: maelstrom.TemporarilyUnavailable, Text: "busy"}}),
			checkers.Invalid, []string{"1 unanswered", "error 11: busy"}},
		// An operation the harness gave up on when the run ended (an
		// interrupt, a failure elsewhere) was never the node's to answer.
		{"an echo cut off by the end of the run is not the node's fault",
			build(e{sent: "a", got: "a"}, e{sent: "b", out: history.Info, err: &history.Error{Code: maelstrom.Timeout, Text: history.RunEnded}}),
			checkers.Valid, []string{"1 indefinite"}},
		{"a different payload", build(e{sent: "Please echo 1", got: "Please echo 1"}, e{sent: "Please echo 2", got: "Please echo 3"}),
			checkers.Invalid, []string{`op 1 sent "Please echo 2", got "Please echo 3" back`}},
		{"a number for a string", build(e{sent: "1", got: 1}), checkers.Invalid, nil},
		{"no payload at all", build(e{sent: "x", got: nil}), checkers.Invalid, nil},
		{"a malformed reply", build(e{sent: "x", out: history.Info, err: &history.Error{Code: maelstrom.MalformedRequest, Text: `echo_ok has no "echo" field`}}),
			checkers.Invalid, []string{"malformed reply"}},
		{"nothing answered", build(e{sent: "x", out: history.Info, err: &history.Error{Code: maelstrom.Timeout}}), checkers.Invalid, nil},
		{"no echo at all", build(), checkers.Unknown, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := New(Options{}).Check(tc.h)
			if res.Valid != tc.want {
				t.Fatalf("valid = %s, want %s: %s", res.Valid, tc.want, res.Summary)
			}
			for _, s := range tc.in {
				if !strings.Contains(res.Summary, s) {
					t.Errorf("summary %q lacks %q", res.Summary, s)
				}
			}
		})
	}
}
