package txns

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

var (
	_ workloads.Workload = (*Workload)(nil)
	_ workloads.Preparer = (*Workload)(nil)
)

func config(kind string) Config {
	c := DefaultConfig()
	c.Kind = kind
	return c
}

// Elle's generator: lengths within bounds, reads with no value, writes
// naming each key's next value, the write function of the workload.
func TestGenerate(t *testing.T) {
	for _, kind := range []string{ListAppend, RWRegister} {
		t.Run(kind, func(t *testing.T) {
			c := config(kind)
			w := New(c)
			rng := rand.New(rand.NewPCG(1, 2))
			last := map[int]int{}
			lengths := map[int]int{}
			fs := map[string]int{}
			for range 5000 {
				op := w.Generate(rng)
				if op.F != F {
					t.Fatalf("f %q", op.F)
				}
				tx := op.Value.(txn.Txn)
				lengths[len(tx)]++
				for _, m := range tx {
					fs[m.F]++
					switch m.F {
					case txn.Read:
						if m.Value != nil {
							t.Fatalf("read %v carries a value", m)
						}
					case w.write:
						v := m.Value.(int)
						if v != last[m.Key]+1 || v > c.MaxWritesPerKey {
							t.Fatalf("key %d: wrote %d after %d", m.Key, v, last[m.Key])
						}
						last[m.Key] = v
					default:
						t.Fatalf("micro-op %v: not a %s workload's", m, kind)
					}
				}
			}
			for n := c.MinTxnLength; n <= c.MaxTxnLength; n++ {
				if lengths[n] < 1000 {
					t.Errorf("%d transactions of length %d in 5000, want about 1250", lengths[n], n)
				}
			}
			if len(lengths) != c.MaxTxnLength {
				t.Errorf("lengths %v", lengths)
			}
			// f is a coin toss, but a write to a key that has taken its
			// share draws the micro-op again, as in Elle: a few more reads.
			if r, wr := fs[txn.Read], fs[w.write]; wr > r || wr < (r+wr)*2/5 {
				t.Errorf("%d reads and %d writes, want a few more reads than writes", r, wr)
			}
			if w.pool.Used() <= c.Keys {
				t.Errorf("no key was retired in 5000 transactions")
			}
		})
	}
}

func TestRequestIsMaelstromsSchema(t *testing.T) {
	w := New(config(ListAppend))
	op := &history.Op{F: F, Value: txn.Txn{{F: txn.Read, Key: 1}, {F: txn.Append, Key: 2, Value: 3}}}
	typ, body := w.Request(op)
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	if typ != "txn" || string(b) != `{"txn":[["r",1,null],["append",2,3]]}` {
		t.Fatalf("request %s %s", typ, b)
	}
}

func raw(typ, body string) maelstrom.Msg {
	return maelstrom.Msg{Type: typ, InReplyTo: 1, Raw: json.RawMessage(body)}
}

// Replies as a node on the wire sends them: the request with its reads
// filled in is ok, anything else is indefinite with an error that says
// what did not fit.
func TestComplete(t *testing.T) {
	appendReq := txn.Txn{{F: txn.Read, Key: 1}, {F: txn.Append, Key: 2, Value: 3}, {F: txn.Read, Key: 2}}
	rwReq := txn.Txn{{F: txn.Read, Key: 1}, {F: txn.Write, Key: 2, Value: 3}, {F: txn.Read, Key: 2}}
	cases := []struct {
		name, kind string
		sent       txn.Txn
		reply      maelstrom.Msg
		want       txn.Txn // nil: an error containing err
		err        string
	}{
		{"append ok", ListAppend, appendReq, raw("txn_ok", `{"type":"txn_ok","msg_id":9,"in_reply_to":1,"txn":[["r",1,[1,2]],["append",2,3],["r",2,[3]]]}`),
			txn.Txn{{F: txn.Read, Key: 1, Value: []int{1, 2}}, appendReq[1], {F: txn.Read, Key: 2, Value: []int{3}}}, ""},
		{"append null list is empty", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",1,null],["append",2,3],["r",2,[3]]]}`),
			txn.Txn{{F: txn.Read, Key: 1, Value: []int{}}, appendReq[1], {F: txn.Read, Key: 2, Value: []int{3}}}, ""},
		{"append in-process body", ListAppend, appendReq, maelstrom.Msg{Type: "txn_ok", Body: txn.Body{Txn: txn.Txn{{F: txn.Read, Key: 1, Value: []int{}}, appendReq[1], {F: txn.Read, Key: 2, Value: []int{3}}}}},
			txn.Txn{{F: txn.Read, Key: 1, Value: []int{}}, appendReq[1], {F: txn.Read, Key: 2, Value: []int{3}}}, ""},
		{"rw ok", RWRegister, rwReq, raw("txn_ok", `{"txn":[["r",1,7],["w",2,3],["r",2,3]]}`),
			txn.Txn{{F: txn.Read, Key: 1, Value: 7}, rwReq[1], {F: txn.Read, Key: 2, Value: 3}}, ""},
		{"rw null is unwritten", RWRegister, rwReq, raw("txn_ok", `{"txn":[["r",1,null],["w",2,3],["r",2,3]]}`),
			txn.Txn{{F: txn.Read, Key: 1}, rwReq[1], {F: txn.Read, Key: 2, Value: 3}}, ""},

		{"wrong reply type", ListAppend, appendReq, raw("read_ok", `{"value":1}`), nil, "expected a txn_ok reply"},
		{"no txn field", ListAppend, appendReq, raw("txn_ok", `{"type":"txn_ok"}`), nil, `no "txn" field`},
		{"extra field", ListAppend, appendReq, raw("txn_ok", `{"type":"txn_ok","in_reply_to":1,"msg_id":4,"txn":[["r",1,[]],["append",2,3],["r",2,[3]]],"node":"n1"}`), nil, `a field "node", which Maelstrom's schema does not allow`},
		{"null txn", ListAppend, appendReq, raw("txn_ok", `{"txn":null}`), nil, `"txn" is null`},
		{"txn not a list", ListAppend, appendReq, raw("txn_ok", `{"txn":{"r":1}}`), nil, "not a list of [f, k, v]"},
		{"mop too short", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",1],["append",2,3],["r",2,[3]]]}`), nil, "want [f, k, v]"},
		{"too few mops", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",1,[]],["append",2,3]]}`), nil, "has 2 micro-ops, but the request had 3"},
		{"too many mops", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",1,[]],["append",2,3],["r",2,[3]],["r",4,[]]]}`), nil, "has 4 micro-ops"},
		{"append value changed", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",1,[]],["append",2,4],["r",2,[4]]]}`), nil, "append of 3 to key 2 came back as 4"},
		{"append value dropped", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",1,[]],["append",2,null],["r",2,[3]]]}`), nil, "came back as null"},
		{"write value changed", RWRegister, rwReq, raw("txn_ok", `{"txn":[["r",1,null],["w",2,5],["r",2,5]]}`), nil, "w of 3 to key 2 came back as 5"},
		{"keys reordered", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",2,[3]],["append",2,3],["r",1,[]]]}`), nil, "must come back in order"},
		{"function changed", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",1,[]],["r",2,[3]],["r",2,[3]]]}`), nil, "must come back in order"},
		{"list read is a number", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",1,5],["append",2,3],["r",2,[3]]]}`), nil, "read of key 1: got 5, want a list of integers"},
		{"register read is a list", RWRegister, rwReq, raw("txn_ok", `{"txn":[["r",1,[5]],["w",2,3],["r",2,3]]}`), nil, "read of key 1: got [5], want an integer or null"},
		{"element not an integer", ListAppend, appendReq, raw("txn_ok", `{"txn":[["r",1,["x"]],["append",2,3],["r",2,[3]]]}`), nil, "element 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := New(config(c.kind))
			op := &history.Op{F: F, Value: c.sent}
			err := w.Complete(op, c.reply)
			if c.want == nil {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(op.Result, c.want) {
				t.Fatalf("result %#v, want %#v", op.Result, c.want)
			}
		})
	}
}

// The recorded result must not share memory with the node's reply: the
// simulator hands the same body to whoever else holds it.
func TestCompleteCopiesReads(t *testing.T) {
	w := New(config(ListAppend))
	list := []int{1, 2}
	op := &history.Op{F: F, Value: txn.Txn{{F: txn.Read, Key: 1}}}
	if err := w.Complete(op, maelstrom.Msg{Type: "txn_ok", Body: txn.Body{Txn: txn.Txn{{F: txn.Read, Key: 1, Value: list}}}}); err != nil {
		t.Fatal(err)
	}
	list[0] = 9
	if got := op.Result.(txn.Txn)[0].Value.([]int); got[0] != 1 {
		t.Fatalf("the history's read changed with the node's list: %v", got)
	}
}

// Every node reads every key the run used, in transactions of at most
// FinalReadKeys reads.
func TestFinalReadsEveryKeyOnEveryNode(t *testing.T) {
	c := config(RWRegister)
	c.FinalReadKeys = 7
	w := New(c)
	w.Prepare([]string{"n0", "n1"})
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		w.Generate(rng)
	}
	used := w.pool.Used()
	read := map[string]map[int]bool{}
	for _, op := range w.Final() {
		if op.F != F || !op.Final || op.Node == "" {
			t.Fatalf("final op %+v", op)
		}
		tx := op.Value.(txn.Txn)
		if len(tx) > 7 {
			t.Fatalf("final read of %d keys", len(tx))
		}
		if read[op.Node] == nil {
			read[op.Node] = map[int]bool{}
		}
		for _, m := range tx {
			if m.F != txn.Read || m.Value != nil {
				t.Fatalf("final micro-op %v", m)
			}
			read[op.Node][m.Key] = true
		}
	}
	for _, n := range []string{"n0", "n1"} {
		if len(read[n]) != used {
			t.Errorf("%s read %d keys, the run used %d", n, len(read[n]), used)
		}
	}
	c.FinalReads = false
	if ops := New(c).Final(); ops != nil {
		t.Errorf("final reads when off: %v", ops)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		err  string
	}{
		{"kind", func(c *Config) { c.Kind = "txn" }, "kind must be"},
		{"keys", func(c *Config) { c.Keys = 0 }, "--key-count"},
		{"too many keys", func(c *Config) { c.Keys = 5000 }, "--key-count"},
		{"length", func(c *Config) { c.MaxTxnLength = 0 }, "--max-txn-length"},
		{"writes", func(c *Config) { c.MaxWritesPerKey = 0 }, "--max-writes-per-key"},
		{"models", func(c *Config) { c.Models = nil }, "--consistency-models"},
		{"unknown model", func(c *Config) { c.Models = []string{"serializable", "strict-serializible"} }, `unknown consistency model "strict-serializible"`},
		{"final keys", func(c *Config) { c.FinalReadKeys = 0 }, "final reads"},
	}
	if err := config(ListAppend).Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for _, c := range cases {
		cfg := config(ListAppend)
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.err)
		}
	}
}

func TestParseModels(t *testing.T) {
	got := ParseModels(" read-committed, serializable ,,strict-serializable")
	want := []string{"read-committed", "serializable", "strict-serializable"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}
