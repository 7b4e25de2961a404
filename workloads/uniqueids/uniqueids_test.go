package uniqueids

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

func raw(typ, body string) maelstrom.Msg {
	return maelstrom.Msg{Type: typ, InReplyTo: 1, Raw: json.RawMessage(body)}
}

func TestRoundTrip(t *testing.T) {
	w := New(DefaultConfig())
	op := w.Generate(rand.New(rand.NewPCG(1, 1)))
	if op.F != "generate" || w.Final() != nil {
		t.Fatalf("op %+v", op)
	}
	typ, body := w.Request(op)
	b, _ := json.Marshal(body)
	if typ != "generate" || string(b) != `{}` {
		t.Fatalf("request %s %s", typ, b)
	}
	for body, want := range map[string]any{
		`{"id":123}`:                          int64(123),
		`{"id":18446744073709551615}`:         json.Number("18446744073709551615"),
		`{"id":"n1-5"}`:                       "n1-5",
		`{"id":[1,"x"]}`:                      []any{int64(1), "x"},
		`{"id":null}`:                         nil,
		`{"id":1.5,"extra":"fields ignored"}`: 1.5,
	} {
		op := &history.Op{F: "generate"}
		if err := w.Complete(op, raw("generate_ok", body)); err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		if gotJ, wantJ := mustJSON(op.Result), mustJSON(want); gotJ != wantJ {
			t.Errorf("%s: result %s, want %s", body, gotJ, wantJ)
		}
	}
	typed := &history.Op{F: "generate"}
	if err := w.Complete(typed, maelstrom.Msg{Type: "generate_ok", Body: map[string]any{"id": 9007199254740993}}); err != nil || typed.Result != int64(9007199254740993) {
		t.Errorf("typed body: %v %#v", err, typed.Result)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestCompleteRejectsMalformedReplies(t *testing.T) {
	w := New(DefaultConfig())
	for _, m := range []maelstrom.Msg{
		raw("generate", `{"id":1}`),
		raw("generate_ok", `{}`),
		raw("generate_ok", `{"ID":1}`),
		raw("generate_ok", `{"id":}`),
	} {
		if err := w.Complete(&history.Op{F: "generate"}, m); err == nil {
			t.Errorf("accepted %s %s", m.Type, m.Raw)
		}
	}
}

// Large IDs that differ only past float64's precision stay distinct, and a
// server that repeats one fails.
func TestAgainstFakeServer(t *testing.T) {
	for _, repeat := range []bool{false, true} {
		w := New(DefaultConfig())
		rng := rand.New(rand.NewPCG(5, 6))
		var h history.History
		for i := range 40 {
			op := w.Generate(rng)
			op.Index = i
			id := 9007199254740993 + 2*i
			if repeat && i == 30 {
				id = 9007199254740993
			}
			if err := w.Complete(op, raw("generate_ok", `{"id":`+itoa(id)+`}`)); err != nil {
				t.Fatal(err)
			}
			op.Outcome = history.OK
			h = append(h, op)
		}
		res := Checkers(DefaultConfig())[0].Check(h)
		want := checkers.Valid
		if repeat {
			want = checkers.Invalid
		}
		if res.Valid != want {
			t.Errorf("repeat=%v: %s %s", repeat, res.Valid, res.Summary)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
