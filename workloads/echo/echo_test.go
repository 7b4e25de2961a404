package echo

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

func raw(typ, body string) maelstrom.Msg {
	return maelstrom.Msg{Type: typ, InReplyTo: 1, Raw: json.RawMessage(body)}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := New(DefaultConfig()), New(DefaultConfig())
	ra, rb := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	for range 100 {
		x, y := a.Generate(ra), b.Generate(rb)
		if x.F != "echo" || x.Value != y.Value || !strings.HasPrefix(x.Value.(string), "Please echo ") {
			t.Fatalf("%+v vs %+v", x, y)
		}
	}
	if a.Final() != nil {
		t.Error("echo has final ops")
	}
}

func TestRoundTrip(t *testing.T) {
	w := New(DefaultConfig())
	op := &history.Op{F: "echo", Value: "Please echo 7"}
	typ, body := w.Request(op)
	b, _ := json.Marshal(body)
	if typ != "echo" || string(b) != `{"echo":"Please echo 7"}` {
		t.Fatalf("request %s %s", typ, b)
	}
	// From a process: raw JSON.
	if err := w.Complete(op, raw("echo_ok", `{"type":"echo_ok","in_reply_to":1,"echo":"Please echo 7"}`)); err != nil || op.Result != "Please echo 7" {
		t.Errorf("raw reply: %v %#v", err, op.Result)
	}
	// From the simulator: a typed body.
	op2 := &history.Op{F: "echo", Value: "x"}
	if err := w.Complete(op2, maelstrom.Msg{Type: "echo_ok", Body: map[string]any{"echo": "x"}}); err != nil || op2.Result != "x" {
		t.Errorf("typed reply: %v %#v", err, op2.Result)
	}
	// A wrong payload is recorded as it is, for the checker.
	op3 := &history.Op{F: "echo", Value: "x"}
	if err := w.Complete(op3, raw("echo_ok", `{"echo":12345678901234567890}`)); err != nil || op3.Result != json.Number("12345678901234567890") {
		t.Errorf("wrong payload: %v %#v", err, op3.Result)
	}
}

func TestCompleteRejectsMalformedReplies(t *testing.T) {
	w := New(DefaultConfig())
	for _, m := range []maelstrom.Msg{
		raw("echo", `{"echo":"x"}`),
		raw("read_ok", `{"echo":"x"}`),
		raw("echo_ok", `{}`),
		raw("echo_ok", `{"echo":`),
		raw("echo_ok", `[]`),
	} {
		if err := w.Complete(&history.Op{F: "echo", Value: "x"}, m); err == nil {
			t.Errorf("accepted %s %s", m.Type, m.Raw)
		}
	}
}

// A fake echo server: the workload's requests, answered through JSON, make
// a history its checker accepts; a server that garbles one reply fails it.
func TestAgainstFakeServer(t *testing.T) {
	for _, garble := range []bool{false, true} {
		w := New(DefaultConfig())
		rng := rand.New(rand.NewPCG(3, 4))
		var h history.History
		for i := range 50 {
			op := w.Generate(rng)
			op.Index = i
			_, body := w.Request(op)
			b, _ := json.Marshal(body)
			if garble && i == 17 {
				b = []byte(`{"echo":"something else"}`)
			}
			if err := w.Complete(op, raw("echo_ok", string(b))); err != nil {
				t.Fatal(err)
			}
			op.Outcome = history.OK
			h = append(h, op)
		}
		res := Checkers(DefaultConfig())[0].Check(h)
		want := checkers.Valid
		if garble {
			want = checkers.Invalid
		}
		if res.Valid != want {
			t.Errorf("garble=%v: %s %s", garble, res.Valid, res.Summary)
		}
	}
}
