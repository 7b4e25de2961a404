package register

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

func TestWrittenValuesAreUniquePerKey(t *testing.T) {
	w := New(Config{Keys: 3, Reads: 1, Writes: 1, CASes: 1})
	rng := rand.New(rand.NewPCG(1, 1))
	seen := map[[2]string]bool{}
	counts := map[string]int{}
	for range 3000 {
		op := w.Generate(rng)
		counts[op.F]++
		var v int
		switch op.F {
		case "write":
			v = op.Value.(int)
		case "cas":
			v = op.Value.([2]int)[1]
		default:
			continue
		}
		k := [2]string{op.Key, strconv.Itoa(v)}
		if seen[k] {
			t.Fatalf("value %d written twice to key %s", v, op.Key)
		}
		seen[k] = true
	}
	for _, f := range []string{"read", "write", "cas"} {
		if counts[f] < 900 || counts[f] > 1100 {
			t.Fatalf("mix 1:1:1 gave %v", counts)
		}
	}
}

func TestZipfFavoursLowKeys(t *testing.T) {
	w := New(Config{Keys: 100, Reads: 1, Zipf: true})
	rng := rand.New(rand.NewPCG(1, 1))
	hot := 0
	for range 1000 {
		if w.Generate(rng).Key == "0" {
			hot++
		}
	}
	if hot < 200 {
		t.Fatalf("zipf should make key 0 hot, it got %d of 1000", hot)
	}
}

func TestRequestAndComplete(t *testing.T) {
	w := New(DefaultConfig())
	for _, tc := range []struct {
		op      history.Op
		typ     string
		body    any
		reply   maelstrom.Msg
		result  any
		wantErr bool
	}{
		{history.Op{F: "read", Key: "4"}, "read", maelstrom.ReadBody{Key: 4},
			maelstrom.Msg{Type: "read_ok", Body: maelstrom.ReadOKBody{Value: 9}}, 9, false},
		{history.Op{F: "write", Key: "1", Value: 5}, "write", maelstrom.WriteBody{Key: 1, Value: 5},
			maelstrom.Msg{Type: "write_ok"}, nil, false},
		{history.Op{F: "cas", Key: "2", Value: [2]int{1, 2}}, "cas", maelstrom.CASBody{Key: 2, From: 1, To: 2},
			maelstrom.Msg{Type: "cas_ok"}, nil, false},
		{history.Op{F: "read", Key: "4"}, "read", maelstrom.ReadBody{Key: 4},
			maelstrom.Msg{Type: "write_ok"}, nil, true},
		{history.Op{F: "read", Key: "4"}, "read", maelstrom.ReadBody{Key: 4},
			maelstrom.Msg{Type: "read_ok", Raw: []byte(`{"type":"read_ok","value":"seven"}`)}, nil, true},
		{history.Op{F: "read", Key: "4"}, "read", maelstrom.ReadBody{Key: 4},
			maelstrom.Msg{Type: "read_ok", Raw: []byte(`{"type":"read_ok","value":7}`)}, 7, false},
		// A read that says nothing of the value does not fit the schema:
		// the op is indefinite, not a read of 0 (which could fail a correct
		// history). Maelstrom fails a reply without value the same way,
		// and its model takes a null value for a read that tells nothing.
		{history.Op{F: "read", Key: "4"}, "read", maelstrom.ReadBody{Key: 4},
			maelstrom.Msg{Type: "read_ok", Raw: []byte(`{"type":"read_ok","value":null}`)}, nil, true},
		{history.Op{F: "read", Key: "4"}, "read", maelstrom.ReadBody{Key: 4},
			maelstrom.Msg{Type: "read_ok", Raw: []byte(`{"type":"read_ok"}`)}, nil, true},
		{history.Op{F: "read", Key: "4"}, "read", maelstrom.ReadBody{Key: 4},
			maelstrom.Msg{Type: "read_ok", Body: map[string]any{"value": nil}}, nil, true},
		{history.Op{F: "read", Key: "4"}, "read", maelstrom.ReadBody{Key: 4},
			maelstrom.Msg{Type: "read_ok", Raw: []byte(`{"type":"read_ok","value":1.5}`)}, nil, true},
	} {
		op := tc.op
		typ, body := w.Request(&op)
		if typ != tc.typ || body != tc.body {
			t.Errorf("%s: request %s %+v, want %s %+v", op.F, typ, body, tc.typ, tc.body)
		}
		err := w.Complete(&op, tc.reply)
		if (err != nil) != tc.wantErr || (!tc.wantErr && op.Result != tc.result) {
			t.Errorf("%s with %s: result %v err %v", op.F, tc.reply.Type, op.Result, err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{{Keys: 0, Reads: 1}, {Keys: 1}, {Keys: 1, Reads: -1, Writes: 2}} {
		if c.Validate() == nil {
			t.Errorf("%+v should be rejected", c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

// Final reads cover every key the run touched, retired keys included, and
// nothing when final reads are off.
func TestFinalReadsEveryKeyUsed(t *testing.T) {
	cfg := DefaultConfig()
	w := New(cfg)
	rng := rand.New(rand.NewPCG(1, 1))
	used := map[string]bool{}
	for range 10*cfg.PerKeyLimit + 5 {
		used[w.Generate(rng).Key] = true
	}
	if len(used) != 11 {
		t.Fatalf("%d keys used, want 11 (ten retired, one active)", len(used))
	}
	read := map[string]bool{}
	for _, op := range w.Final() {
		if op.F != "read" {
			t.Fatalf("final op %+v is not a read", op)
		}
		read[op.Key] = true
	}
	for k := range used {
		if !read[k] {
			t.Errorf("key %s was used but has no final read", k)
		}
	}
	if len(read) != len(used) {
		t.Errorf("final reads of %d keys, %d used", len(read), len(used))
	}
	cfg.FinalReads = false
	if ops := New(cfg).Final(); len(ops) != 0 {
		t.Errorf("final reads off, got %d", len(ops))
	}
}

// Keys are Jepsen's independent keys: each group of ClientsPerKey clients
// has its own, and a key retires after PerKeyLimit operations or once
// ProcessLimit processes (a client's new process after each timeout) have
// worked on it.
func TestKeysPerGroupAndTheirLimits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		calls [][2]int // client, process
		want  []string // the key of each call
	}{
		{"groups of two", Config{ClientsPerKey: 2, Keys: 1, Reads: 1},
			[][2]int{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}, {0, 0}}, []string{"0", "0", "1", "1", "2", "0"}},
		{"all clients together", Config{Keys: 1, Reads: 1},
			[][2]int{{0, 0}, {7, 7}, {99, 99}}, []string{"0", "0", "0"}},
		{"per-key limit", Config{ClientsPerKey: 10, Keys: 1, PerKeyLimit: 2, Reads: 1},
			[][2]int{{0, 0}, {1, 1}, {0, 0}, {1, 1}, {2, 2}}, []string{"0", "0", "1", "1", "2"}},
		{"process limit", Config{ClientsPerKey: 10, Keys: 1, ProcessLimit: 2, Reads: 1},
			[][2]int{{0, 0}, {1, 1}, {0, 0}, {1, 10}, {0, 0}, {0, 0}, {0, 11}}, []string{"0", "0", "0", "1", "1", "1", "2"}},
	} {
		w := New(tc.cfg)
		rng := rand.New(rand.NewPCG(1, 1))
		for i, c := range tc.calls {
			if got := w.GenerateFor(rng, c[0], c[1]).Key; got != tc.want[i] {
				t.Errorf("%s: call %d (client %d, process %d) got key %s, want %s", tc.name, i, c[0], c[1], got, tc.want[i])
			}
		}
	}
}
