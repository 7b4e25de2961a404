package gset

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
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
	if reqs := w.Prepare([]string{"n0", "n1"}); reqs != nil {
		t.Errorf("g-set sends %v before the load", reqs)
	}
	fin := w.Final()
	if len(fin) != 2 || fin[0].Node != "n0" || fin[1].Node != "n1" || !fin[0].Final || fin[0].F != "read" {
		t.Errorf("final %+v", fin)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	adds := 0
	for range 100 {
		op := w.Generate(rng)
		typ, body := w.Request(op)
		b, _ := json.Marshal(body)
		switch op.F {
		case "add":
			if op.Value != adds || typ != "add" || string(b) != fmt.Sprintf(`{"element":%d}`, adds) {
				t.Fatalf("add: %v %s %s", op.Value, typ, b)
			}
			adds++
			if err := w.Complete(op, raw("add_ok", `{}`)); err != nil {
				t.Fatal(err)
			}
		case "read":
			if typ != "read" || string(b) != `{}` {
				t.Fatalf("read: %s %s", typ, b)
			}
			if err := w.Complete(op, raw("read_ok", `{"value":[3,1.0,"x"]}`)); err != nil {
				t.Fatal(err)
			}
			if got := op.Result.([]any); len(got) != 3 || got[1] != int64(1) {
				t.Fatalf("result %#v", op.Result)
			}
		}
	}
	if adds < 30 || adds > 70 {
		t.Errorf("%d adds of 100", adds)
	}
}

// A Go node's nil slice encodes as null; Maelstrom's schema for the read's
// value ([Any]) accepts null as an empty set, and so must we.
func TestCompleteAcceptsNullAsEmpty(t *testing.T) {
	w := New(DefaultConfig())
	op := &history.Op{F: "read"}
	if err := w.Complete(op, raw("read_ok", `{"value":null}`)); err != nil {
		t.Fatalf("null read rejected: %v", err)
	}
	if got, ok := op.Result.([]any); !ok || got == nil || len(got) != 0 {
		t.Fatalf("null read recorded as %#v, want an empty list", op.Result)
	}
}

func TestCompleteRejectsMalformedReplies(t *testing.T) {
	w := New(DefaultConfig())
	for _, c := range []struct {
		f string
		m maelstrom.Msg
	}{
		{"add", raw("read_ok", `{}`)},
		{"read", raw("read_ok", `{}`)},
		{"read", raw("read_ok", `{"messages":[1]}`)},
		{"read", raw("read_ok", `{"value":1}`)},
		{"read", raw("read_ok", `{"value":[1,]}`)},
	} {
		if err := w.Complete(&history.Op{F: c.f}, c.m); err == nil {
			t.Errorf("%s accepted %s %s", c.f, c.m.Type, c.m.Raw)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if DefaultConfig().Validate() != nil || (Config{}).Validate() == nil || (Config{Adds: -1, Reads: 2}).Validate() == nil {
		t.Error("validation is wrong")
	}
}

// A fake cluster where node n1 never learns element 5 fails the check.
func TestAgainstFakeCluster(t *testing.T) {
	for _, lose := range []bool{false, true} {
		w := New(DefaultConfig())
		ns := []string{"n0", "n1", "n2"}
		w.Prepare(ns)
		have := map[string]map[int]bool{"n0": {}, "n1": {}, "n2": {}}
		rng := rand.New(rand.NewPCG(9, 9))
		var h history.History
		run := func(op *history.Op, node string, now int64) {
			op.Node, op.Index, op.Invoke, op.Complete = node, len(h), now, now+1
			reply := `{}`
			if op.F == "add" {
				for _, n := range ns {
					if !(lose && n == "n1" && op.Value == 5) {
						have[n][op.Value.(int)] = true
					}
				}
			} else {
				var es []int
				for e := range have[node] {
					es = append(es, e)
				}
				sort.Ints(es)
				b, _ := json.Marshal(map[string]any{"value": es})
				reply = string(b)
			}
			if err := w.Complete(op, raw(op.F+"_ok", reply)); err != nil {
				t.Fatal(err)
			}
			op.Outcome = history.OK
			h = append(h, op)
		}
		for i := range 60 {
			run(w.Generate(rng), ns[i%3], int64(10*i))
		}
		for _, op := range w.Final() {
			run(op, op.Node, 1000)
		}
		res := Checkers(DefaultConfig())[0].Check(h)
		if lose {
			if res.Valid != checkers.Invalid || !strings.Contains(res.Summary, "n1 lacks 5") {
				t.Errorf("lost element: %s %s", res.Valid, res.Summary)
			}
		} else if res.Valid != checkers.Valid {
			t.Errorf("%s %s", res.Valid, res.Summary)
		}
	}
}
