package broadcast

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

func nodes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("n%d", i)
	}
	return out
}

type topo = map[string][]string

func TestTopologies(t *testing.T) {
	cases := []struct {
		name string
		n    int
		want topo
	}{
		// side 3: n0 n1 n2 / n3 n4; neighbours below, above, right, left.
		{"grid", 5, topo{
			"n0": {"n3", "n1"}, "n1": {"n4", "n2", "n0"}, "n2": {"n1"},
			"n3": {"n0", "n4"}, "n4": {"n1", "n3"},
		}},
		{"grid", 9, topo{
			"n0": {"n3", "n1"}, "n1": {"n4", "n2", "n0"}, "n2": {"n5", "n1"},
			"n3": {"n6", "n0", "n4"}, "n4": {"n7", "n1", "n5", "n3"}, "n5": {"n8", "n2", "n4"},
			"n6": {"n3", "n7"}, "n7": {"n4", "n8", "n6"}, "n8": {"n5", "n7"},
		}},
		{"grid", 1, topo{"n0": {}}},
		{"grid", 2, topo{"n0": {"n1"}, "n1": {"n0"}}},
		{"line", 1, topo{}},
		{"line", 2, topo{"n0": {"n1"}, "n1": {"n0"}}},
		{"line", 4, topo{"n0": {"n1"}, "n1": {"n0", "n2"}, "n2": {"n1", "n3"}, "n3": {"n2"}}},
		{"total", 3, topo{"n0": {"n1", "n2"}, "n1": {"n0", "n2"}, "n2": {"n0", "n1"}}},
		{"tree", 1, topo{"n0": {}}},
		{"tree2", 7, topo{
			"n0": {"n1", "n2"}, "n1": {"n0", "n3", "n4"}, "n2": {"n0", "n5", "n6"},
			"n3": {"n1"}, "n4": {"n1"}, "n5": {"n2"}, "n6": {"n2"},
		}},
		{"tree2", 5, topo{
			"n0": {"n1", "n2"}, "n1": {"n0", "n3", "n4"}, "n2": {"n0"}, "n3": {"n1"}, "n4": {"n1"},
		}},
		{"tree3", 6, topo{
			"n0": {"n1", "n2", "n3"}, "n1": {"n0", "n4", "n5"}, "n2": {"n0"}, "n3": {"n0"}, "n4": {"n1"}, "n5": {"n1"},
		}},
		{"tree4", 7, topo{
			"n0": {"n1", "n2", "n3", "n4"}, "n1": {"n0", "n5", "n6"}, "n2": {"n0"}, "n3": {"n0"}, "n4": {"n0"},
			"n5": {"n1"}, "n6": {"n1"},
		}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s-%d", tc.name, tc.n), func(t *testing.T) {
			got, err := Topology(tc.name, nodes(tc.n))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
	if _, err := Topology("ring", nodes(3)); err == nil {
		t.Error("unknown topology accepted")
	}
}

// Every topology is symmetric and connected, for any size: a message can
// reach every node.
func TestTopologiesConnectedAndSymmetric(t *testing.T) {
	for _, name := range Topologies {
		for n := 2; n <= 40; n++ {
			tp, err := Topology(name, nodes(n))
			if err != nil {
				t.Fatal(err)
			}
			for a, nbrs := range tp {
				for _, b := range nbrs {
					if b == a || !contains(tp[b], a) {
						t.Fatalf("%s/%d: %s -> %s not mirrored", name, n, a, b)
					}
				}
			}
			seen := map[string]bool{"n0": true}
			queue := []string{"n0"}
			for len(queue) > 0 {
				a := queue[0]
				queue = queue[1:]
				for _, b := range tp[a] {
					if !seen[b] {
						seen[b] = true
						queue = append(queue, b)
					}
				}
			}
			if len(seen) != n {
				t.Fatalf("%s/%d: only %d nodes reachable", name, n, len(seen))
			}
			if name == "grid" {
				for a, nbrs := range tp {
					if len(nbrs) > 4 {
						t.Fatalf("grid/%d: %s has %d neighbours", n, a, len(nbrs))
					}
				}
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestPrepareSendsTheWholeTopologyToEveryNode(t *testing.T) {
	w := New(Config{Topology: "line", Broadcasts: 1, Reads: 1})
	reqs := w.Prepare(nodes(3))
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs {
		b, _ := json.Marshal(r.Body)
		if r.Dest != fmt.Sprintf("n%d", i) || r.Type != "topology" ||
			string(b) != `{"topology":{"n0":["n1"],"n1":["n0","n2"],"n2":["n1"]}}` {
			t.Errorf("request %d: %s %s %s", i, r.Dest, r.Type, b)
		}
	}
	// Final reads: one per node, aimed at that node.
	fin := w.Final()
	if len(fin) != 3 {
		t.Fatalf("%d final ops", len(fin))
	}
	for i, op := range fin {
		if op.F != "read" || !op.Final || op.Node != fmt.Sprintf("n%d", i) {
			t.Errorf("final op %d: %+v", i, op)
		}
	}
	one := New(DefaultConfig()).Prepare(nodes(1))
	if b, _ := json.Marshal(one[0].Body); string(b) != `{"topology":{"n0":[]}}` {
		t.Errorf("single node topology %s", b)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
	for _, c := range []Config{{Topology: "ring", Broadcasts: 1}, {Topology: "grid"}, {Topology: "grid", Reads: -1, Broadcasts: 2}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func raw(typ, body string) maelstrom.Msg {
	return maelstrom.Msg{Type: typ, InReplyTo: 1, Raw: json.RawMessage(body)}
}

func TestRoundTrip(t *testing.T) {
	w := New(DefaultConfig())
	rng := rand.New(rand.NewPCG(1, 2))
	next := 0
	for range 200 {
		op := w.Generate(rng)
		typ, body := w.Request(op)
		b, _ := json.Marshal(body)
		switch op.F {
		case "broadcast":
			if op.Value != next || typ != "broadcast" || string(b) != fmt.Sprintf(`{"message":%d}`, next) {
				t.Fatalf("broadcast %v: %s %s", op.Value, typ, b)
			}
			next++
			if err := w.Complete(op, raw("broadcast_ok", `{"type":"broadcast_ok","in_reply_to":3}`)); err != nil {
				t.Fatal(err)
			}
		case "read":
			if typ != "read" || string(b) != `{}` {
				t.Fatalf("read: %s %s", typ, b)
			}
			if err := w.Complete(op, raw("read_ok", `{"messages":[0,1,2,9007199254740993]}`)); err != nil {
				t.Fatal(err)
			}
			if got := op.Result.([]any); len(got) != 4 || got[3] != int64(9007199254740993) {
				t.Fatalf("read result %#v", op.Result)
			}
		default:
			t.Fatalf("op %+v", op)
		}
	}
	if next < 60 || next > 140 {
		t.Errorf("%d broadcasts of 200: the mix is off", next)
	}
	empty := &history.Op{F: "read"}
	if err := w.Complete(empty, raw("read_ok", `{"messages":[]}`)); err != nil || empty.Result == nil || len(empty.Result.([]any)) != 0 {
		t.Errorf("empty read: %v %#v", err, empty.Result)
	}
	// A Go node's nil slice encodes as null; Maelstrom's schema ([Any])
	// accepts null as an empty list, and so must we.
	null := &history.Op{F: "read"}
	if err := w.Complete(null, raw("read_ok", `{"messages":null}`)); err != nil || null.Result == nil || len(null.Result.([]any)) != 0 {
		t.Errorf("null read: %v %#v", err, null.Result)
	}
	typed := &history.Op{F: "read"}
	if err := w.Complete(typed, maelstrom.Msg{Type: "read_ok", Body: map[string]any{"messages": []int{4, 5}}}); err != nil || len(typed.Result.([]any)) != 2 {
		t.Errorf("typed read: %v %#v", err, typed.Result)
	}
}

func TestCompleteRejectsMalformedReplies(t *testing.T) {
	w := New(DefaultConfig())
	for _, c := range []struct {
		f string
		m maelstrom.Msg
	}{
		{"broadcast", raw("read_ok", `{}`)},
		{"read", raw("broadcast_ok", `{}`)},
		{"read", raw("read_ok", `{}`)},
		{"read", raw("read_ok", `{"messages":3}`)},
		{"read", raw("read_ok", `{"messages":{"a":1}}`)},
		{"read", raw("read_ok", `{"value":[1]}`)},
		{"read", raw("read_ok", `{"messages":[1,}`)},
	} {
		if err := w.Complete(&history.Op{F: c.f}, c.m); err == nil {
			t.Errorf("%s accepted %s %s", c.f, c.m.Type, c.m.Raw)
		}
	}
}

// A fake cluster that delivers every broadcast to every node passes; one
// where a node never hears of a message fails, naming node and message.
func TestAgainstFakeCluster(t *testing.T) {
	for _, lose := range []bool{false, true} {
		w := New(DefaultConfig())
		ns := nodes(5)
		w.Prepare(ns)
		have := map[string]map[int]bool{}
		for _, n := range ns {
			have[n] = map[int]bool{}
		}
		rng := rand.New(rand.NewPCG(7, 8))
		var h history.History
		run := func(op *history.Op, node string, now int64) {
			op.Node, op.Index, op.Invoke, op.Complete = node, len(h), now, now+1
			_, body := w.Request(op)
			var reply string
			switch op.F {
			case "broadcast":
				m := body.(broadcastBody).Message.(int)
				for _, n := range ns {
					if !(lose && n == "n3" && m == 11) {
						have[n][m] = true
					}
				}
				reply = `{}`
			case "read":
				var ms []int
				for m := range have[node] {
					ms = append(ms, m)
				}
				sort.Ints(ms)
				b, _ := json.Marshal(map[string]any{"messages": ms})
				reply = string(b)
			}
			if err := w.Complete(op, raw(op.F+"_ok", reply)); err != nil {
				t.Fatal(err)
			}
			op.Outcome = history.OK
			h = append(h, op)
		}
		for i := range 100 {
			run(w.Generate(rng), ns[i%5], int64(i*10))
		}
		for _, op := range w.Final() {
			run(op, op.Node, 5000)
		}
		res := Checkers(DefaultConfig())[0].Check(h)
		want := checkers.Valid
		if lose {
			want = checkers.Invalid
		}
		if res.Valid != want {
			t.Errorf("lose=%v: %s %s", lose, res.Valid, res.Summary)
		}
		if lose && !strings.Contains(res.Summary, "n3 lacks 11") {
			t.Errorf("summary %q does not name node n3 and message 11", res.Summary)
		}
	}
}
