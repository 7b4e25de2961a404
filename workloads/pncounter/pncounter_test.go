package pncounter

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

func raw(typ, body string) maelstrom.Msg {
	return maelstrom.Msg{Type: typ, InReplyTo: 1, Raw: json.RawMessage(body)}
}

func TestGenerateDeltas(t *testing.T) {
	w := New(DefaultConfig())
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[int64]bool{}
	for range 1000 {
		op := w.Generate(rng)
		if op.F != "add" {
			continue
		}
		d := op.Value.(int64)
		if d < -5 || d > 4 {
			t.Fatalf("delta %d outside -5..4", d)
		}
		seen[d] = true
		typ, body := w.Request(op)
		if b, _ := json.Marshal(body); typ != "add" || string(b) != fmt.Sprintf(`{"delta":%d}`, d) {
			t.Fatalf("request %s %s", typ, b)
		}
	}
	if len(seen) != 10 {
		t.Errorf("deltas drawn: %v", seen)
	}
	if w.Name() != "pn-counter" {
		t.Error(w.Name())
	}
}

func TestCompleteRead(t *testing.T) {
	w := New(DefaultConfig())
	for body, want := range map[string]int64{
		`{"value":42}`:                 42,
		`{"value":-7}`:                 -7,
		`{"value":3.0}`:                3,
		`{"value":9007199254740993}`:   9007199254740993,
		`{"type":"read_ok","value":0}`: 0,
	} {
		op := &history.Op{F: "read"}
		if err := w.Complete(op, raw("read_ok", body)); err != nil || op.Result != want {
			t.Errorf("%s: %v %#v", body, err, op.Result)
		}
	}
	typed := &history.Op{F: "read"}
	if err := w.Complete(typed, maelstrom.Msg{Type: "read_ok", Body: map[string]int{"value": 5}}); err != nil || typed.Result != int64(5) {
		t.Errorf("typed: %v %#v", err, typed.Result)
	}
	if err := w.Complete(&history.Op{F: "add", Value: int64(1)}, raw("add_ok", `{}`)); err != nil {
		t.Error(err)
	}
}

func TestCompleteRejectsMalformedReplies(t *testing.T) {
	w := New(DefaultConfig())
	for _, c := range []struct {
		f string
		m maelstrom.Msg
	}{
		{"add", raw("read_ok", `{}`)},
		{"read", raw("add_ok", `{"value":1}`)},
		{"read", raw("read_ok", `{}`)},
		{"read", raw("read_ok", `{"value":1.5}`)},
		{"read", raw("read_ok", `{"value":"1"}`)},
		{"read", raw("read_ok", `{"value":null}`)},
		{"read", raw("read_ok", `{"value":18446744073709551615}`)},
		{"read", raw("read_ok", `{"value":[1]}`)},
	} {
		if err := w.Complete(&history.Op{F: c.f}, c.m); err == nil {
			t.Errorf("%s accepted %s %s", c.f, c.m.Type, c.m.Raw)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if DefaultConfig().Validate() != nil {
		t.Error("default rejected")
	}
	for _, c := range []Config{{MinDelta: 1, MaxDelta: 0, Adds: 1}, {Adds: 0, Reads: 0}, {Adds: -1, Reads: 1}, {MinDelta: -1 << 62, MaxDelta: 1 << 62, Adds: 1}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// A fake cluster: one counter all nodes share passes, with adds that time
// out but take effect; a node that forgets an acknowledged add fails.
func TestAgainstFakeCluster(t *testing.T) {
	for _, tc := range []struct {
		name string
		bug  bool
		want checkers.Validity
	}{{"correct", false, checkers.Valid}, {"forgets an add", true, checkers.Invalid}} {
		w := New(DefaultConfig())
		ns := []string{"n0", "n1", "n2"}
		w.Prepare(ns)
		var total int64
		nodeOffset := map[string]int64{}
		rng := rand.New(rand.NewPCG(11, 12))
		var h history.History
		run := func(op *history.Op, node string) {
			op.Node, op.Index = node, len(h)
			op.Outcome = history.OK
			reply := `{}`
			if op.F == "add" {
				d := op.Value.(int64)
				total += d
				if tc.bug && len(h) == 21 && d != 0 {
					nodeOffset["n2"] -= d
				}
				// In the correct cluster every fifth add times out but takes
				// effect. (In the buggy one indefinite adds would widen the
				// acceptable range enough to hide the forgotten add.)
				if !tc.bug && len(h)%5 == 0 {
					op.Outcome = history.Info
					h = append(h, op)
					return
				}
			} else {
				reply = fmt.Sprintf(`{"value":%d}`, total+nodeOffset[node])
			}
			if err := w.Complete(op, raw(op.F+"_ok", reply)); err != nil {
				t.Fatal(err)
			}
			h = append(h, op)
		}
		for i := range 80 {
			op := w.Generate(rng)
			if tc.bug && i == 21 && op.F != "add" {
				op = &history.Op{F: "add", Value: int64(3)}
			}
			run(op, ns[i%3])
		}
		for _, op := range w.Final() {
			run(op, op.Node)
		}
		res := Checkers(DefaultConfig())[0].Check(h)
		if res.Valid != tc.want {
			t.Errorf("%s: %s %s", tc.name, res.Valid, res.Summary)
		}
	}
}
