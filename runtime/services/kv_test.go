package services

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// kvStores are the key-value services, each as a single client sees it when
// nothing else happens: lww-kv with one replica, since with more a lone
// client can read stale values (lwwkv_test.go covers that).
var kvStores = []struct {
	name    string
	factory func() nodes.Node
}{
	{"lin-kv", func() nodes.Node { return newLinKV() }},
	{"seq-kv", func() nodes.Node { return newSeqKV(seqWindow) }},
	{"lww-kv", func() nodes.Node { return newLWWKV(1) }},
}

// kvStep is one request and the reply summary it should get.
type kvStep struct {
	typ  string
	body any
	want string
}

// kvScripts are request sequences every key-value store must answer alike.
var kvScripts = []struct {
	name  string
	steps []kvStep
}{
	{"int keys, in-process bodies", []kvStep{
		{"read", maelstrom.ReadBody{Key: 1}, "error 20"},
		{"cas", maelstrom.CASBody{Key: 1, From: 0, To: 1}, "error 20"},
		{"write", maelstrom.WriteBody{Key: 1, Value: 10}, "write_ok"},
		{"read", maelstrom.ReadBody{Key: 1}, "read_ok 10"},
		{"cas", maelstrom.CASBody{Key: 1, From: 10, To: 11}, "cas_ok"},
		{"read", maelstrom.ReadBody{Key: 1}, "read_ok 11"},
		{"cas", maelstrom.CASBody{Key: 1, From: 10, To: 12}, "error 22"},
		{"read", maelstrom.ReadBody{Key: 1}, "read_ok 11"},
		{"write", maelstrom.WriteBody{Key: 1, Value: -3}, "write_ok"},
		{"read", maelstrom.ReadBody{Key: 1}, "read_ok -3"},
		{"read", maelstrom.ReadBody{Key: 2}, "error 20"},
	}},
	{"string keys, any values", []kvStep{
		{"read", ReadBody{Key: "counter"}, "error 20"},
		{"cas", CASBody{Key: "counter", From: 0, To: 1}, "error 20"},
		{"cas", CASBody{Key: "counter", From: 0, To: 1, CreateIfNotExists: true}, "cas_ok"},
		{"read", ReadBody{Key: "counter"}, "read_ok 1"},
		// create_if_not_exists only matters when the key is missing.
		{"cas", CASBody{Key: "counter", From: 0, To: 5, CreateIfNotExists: true}, "error 22"},
		{"cas", CASBody{Key: "counter", From: 1, To: 5, CreateIfNotExists: true}, "cas_ok"},
		{"read", ReadBody{Key: "counter"}, "read_ok 5"},
		{"write", WriteBody{Key: "log", Value: []any{1, "two", nil}}, "write_ok"},
		{"read", ReadBody{Key: "log"}, `read_ok [1,"two",null]`},
		{"cas", CASBody{Key: "log", From: []any{1, "two"}, To: true}, "error 22"},
		{"cas", CASBody{Key: "log", From: []any{1, "two", nil}, To: true}, "cas_ok"},
		{"read", ReadBody{Key: "log"}, "read_ok true"},
		{"write", WriteBody{Key: "nothing", Value: nil}, "write_ok"},
		{"read", ReadBody{Key: "nothing"}, "read_ok null"},
		{"write", WriteBody{Key: nil, Value: map[string]int{"b": 1, "a": 2}}, "write_ok"},
		{"read", ReadBody{Key: nil}, `read_ok {"a":2,"b":1}`},
		{"write", WriteBody{Key: []int{1, 2}, Value: "list key"}, "write_ok"},
		{"read", json.RawMessage(`{"key": [1, 2.0]}`), "error 20"},
		{"read", json.RawMessage(`{"key": [ 1, 2 ]}`), `read_ok "list key"`},
	}},
	{"int and string keys are apart", []kvStep{
		{"write", maelstrom.WriteBody{Key: 7, Value: 1}, "write_ok"},
		{"write", WriteBody{Key: "7", Value: 2}, "write_ok"},
		{"read", maelstrom.ReadBody{Key: 7}, "read_ok 1"},
		{"read", ReadBody{Key: "7"}, "read_ok 2"},
		{"read", ReadBody{Key: 7.5}, "error 20"},
	}},
	{"one key however a Go node spells it", []kvStep{
		{"write", maelstrom.WriteBody{Key: 3, Value: 30}, "write_ok"},
		{"read", ReadBody{Key: 3}, "read_ok 30"},
		{"read", ReadBody{Key: int64(3)}, "read_ok 30"},
		{"read", ReadBody{Key: json.Number("3")}, "read_ok 30"},
		{"read", json.RawMessage(`{"key": 3}`), "read_ok 30"},
		{"read", map[string]any{"key": 3}, "read_ok 30"},
		// Maelstrom reads 3.0 as a double, which is not the long 3.
		{"read", ReadBody{Key: json.Number("3.0")}, "error 20"},
	}},
	{"values compare as JSON values, not as text", []kvStep{
		{"write", WriteBody{Key: "doc", Value: json.RawMessage(`{"b": 1, "a": [1.0, "\u0063"]}`)}, "write_ok"},
		{"read", ReadBody{Key: "doc"}, `read_ok {"a":[1.0,"c"],"b":1}`},
		{"cas", CASBody{Key: "doc", From: json.RawMessage(`{"a":[1e0,"c"],"b":1}`), To: 1}, "cas_ok"},
		{"read", ReadBody{Key: "doc"}, "read_ok 1"},
		{"cas", CASBody{Key: "doc", From: 1.0, To: 2}, "cas_ok"}, // encoding/json writes float64 1 as 1
		{"cas", CASBody{Key: "doc", From: json.Number("2.0"), To: 3}, "error 22"},
	}},
	{"integers keep every digit", []kvStep{
		{"write", maelstrom.WriteBody{Key: 1, Value: 9007199254740993}, "write_ok"},
		{"read", maelstrom.ReadBody{Key: 1}, "read_ok 9007199254740993"},
		{"cas", maelstrom.CASBody{Key: 1, From: 9007199254740992, To: 0}, "error 22"},
		{"cas", CASBody{Key: 1, From: json.Number("9007199254740993"), To: math.MinInt64}, "cas_ok"},
		{"read", maelstrom.ReadBody{Key: 1}, "read_ok -9223372036854775808"},
		{"write", WriteBody{Key: json.Number("123456789012345678901234567890"), Value: json.Number("-98765432109876543210")}, "write_ok"},
		{"read", ReadBody{Key: json.Number("123456789012345678901234567890")}, "read_ok -98765432109876543210"},
		{"read", ReadBody{Key: json.Number("123456789012345678901234567891")}, "error 20"},
	}},
	{"malformed requests", []kvStep{
		{"read", nil, "error 12"},
		{"read", map[string]any{"value": 1}, "error 12"},
		{"write", maelstrom.ReadBody{Key: 1}, "error 12"},
		{"write", map[string]any{"value": 1}, "error 12"},
		{"cas", maelstrom.WriteBody{Key: 1, Value: 1}, "error 12"},
		{"cas", map[string]any{"key": 1, "from": 1}, "error 12"},
		{"cas", map[string]any{"key": 1, "to": 1, "create_if_not_exists": true}, "error 12"},
		{"cas", map[string]any{"key": 1, "from": 1, "to": 2, "create_if_not_exists": "yes"}, "error 12"},
		{"write", map[string]any{"key": 1, "value": func() {}}, "error 12"},
		{"read", []int{1}, "error 12"},
		// Nothing above may have written.
		{"read", maelstrom.ReadBody{Key: 1}, "error 20"},
	}},
}

func TestKVScripts(t *testing.T) {
	for _, store := range kvStores {
		for _, script := range kvScripts {
			t.Run(store.name+"/"+script.name, func(t *testing.T) {
				h := newSimHarness(t, 1, store.name, store.factory, "c0")
				for i, s := range script.steps {
					if got := h.ask("c0", s.typ, s.body); got != s.want {
						t.Fatalf("step %d: %s %s: got %s, want %s", i, s.typ, mustJSON(t, s.body), got, s.want)
					}
				}
			})
		}
	}
}

// A process sends JSON text, an in-process node a Go value: both must reach
// the same entry, and big integers must cross exactly both ways. One client
// sends everything, so that seq-kv must show it its own writes.
func TestRawJSONMeetsInProcessBodies(t *testing.T) {
	for _, store := range kvStores {
		t.Run(store.name, func(t *testing.T) {
			env := newFakeEnv(t, store.name, nil)
			node := store.factory()
			node.Init(env)

			env.handleLine(node, `{"src":"n1","dest":"kv","body":{"type":"write","msg_id":1,"key":1,"value":9007199254740993}}`)
			reply := env.handle(node, maelstrom.Msg{Src: "n1", Type: "read", MsgID: 5, Body: maelstrom.ReadBody{Key: 1}})
			got, err := maelstrom.Decode[maelstrom.ReadOKBody](reply)
			if err != nil || reply.Type != "read_ok" || got.Value != 9007199254740993 {
				t.Fatalf("in-process read of a raw write: %+v, %v; want 9007199254740993", got, err)
			}

			env.handle(node, maelstrom.Msg{Src: "n1", Type: "write", MsgID: 6, Body: WriteBody{Key: "k", Value: json.Number("12345678901234567890123")}})
			reply = env.handleLine(node, `{"src":"n1","dest":"kv","body":{"type":"read","msg_id":2,"key":"\u006b"}}`)
			line, err := maelstrom.AppendLine(nil, reply)
			if err != nil {
				t.Fatal(err)
			}
			if want := `"value":12345678901234567890123`; !strings.Contains(string(line), want) {
				t.Fatalf("reply line %s lacks %s", line, want)
			}

			// cas with from given as raw JSON, compared with an in-process write.
			reply = env.handleLine(node, `{"src":"n1","dest":"kv","body":{"type":"cas","msg_id":3,"key":1,"from":9007199254740993,"to":[1, 2]}}`)
			if reply.Type != "cas_ok" {
				t.Fatalf("raw cas: got %s %+v", reply.Type, reply.Body)
			}
			reply = env.handle(node, maelstrom.Msg{Src: "n1", Type: "read", MsgID: 7, Body: maelstrom.ReadBody{Key: 1}})
			if body, _ := maelstrom.Decode[ReadOKBody](reply); string(body.Value) != "[1,2]" {
				t.Fatalf("read after raw cas: %s, want [1,2]", body.Value)
			}

			// Malformed raw bodies.
			for _, line := range []string{
				`{"src":"n1","dest":"kv","body":{"type":"read","msg_id":4}}`,
				`{"src":"n1","dest":"kv","body":{"type":"write","msg_id":4,"key":1}}`,
				`{"src":"n1","dest":"kv","body":{"type":"cas","msg_id":4,"key":1,"from":1,"to":2,"create_if_not_exists":1}}`,
				`{"src":"n1","dest":"kv","body":{"type":"cas","msg_id":4,"key":1,"from":1}}`,
			} {
				if reply := env.handleLine(node, line); reply.Err() == nil || reply.Err().Code != maelstrom.MalformedRequest {
					t.Errorf("%s: got %s %+v, want error 12", line, reply.Type, reply.Body)
				}
			}
		})
	}
}

// A request without msg_id is carried out but not answered: there is
// nothing for a reply to refer to.
func TestKVRequestWithoutMsgID(t *testing.T) {
	for _, store := range kvStores {
		t.Run(store.name, func(t *testing.T) {
			env := newFakeEnv(t, store.name, nil)
			node := store.factory()
			node.Init(env)
			node.Handle(mustParse(t, `{"src":"n1","dest":"kv","body":{"type":"write","key":"k","value":1}}`))
			node.Handle(mustParse(t, `{"src":"n1","dest":"kv","body":{"type":"read"}}`))
			if len(env.sent) != 0 {
				t.Fatalf("answered requests without msg_id: %+v", env.sent)
			}
			reply := env.handleLine(node, `{"src":"n1","dest":"kv","body":{"type":"read","msg_id":1,"key":"k"}}`)
			if got, _ := maelstrom.Decode[maelstrom.ReadOKBody](reply); got.Value != 1 {
				t.Fatalf("read after unanswered write: %s %+v", reply.Type, reply.Body)
			}
		})
	}
}

func TestKVErrorTexts(t *testing.T) {
	h := newSimHarness(t, 1, "lin-kv", func() nodes.Node { return newLinKV() }, "c0")
	_, err := h.call("c0", "read", ReadBody{Key: "x"})
	if want := `key "x" does not exist`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("read of a missing key: %v, want text %q", err, want)
	}
	h.call("c0", "write", ReadBody{Key: "x"})
	h.call("c0", "write", WriteBody{Key: "x", Value: 2})
	_, err = h.call("c0", "cas", CASBody{Key: "x", From: 1, To: 3})
	if want := "current value 2 is not 1"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("cas with a stale from: %v, want text %q", err, want)
	}
	_, err = h.call("c0", "write", ReadBody{Key: "x"})
	if want := `malformed write request: missing "value"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("write without a value: %v, want text %q", err, want)
	}
}

func TestCanonicalJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`1`, `1`},
		{`-0`, `0`},
		{`9007199254740993`, `9007199254740993`},
		{`-123456789012345678901234567890`, `-123456789012345678901234567890`},
		{` 42 `, `42`},
		{`1.0`, `1.0`},
		{`1e0`, `1.0`},
		{`1E2`, `100.0`},
		{`1.50`, `1.5`},
		{`-0.0`, `0.0`},
		{`0.1`, `0.1`},
		{`1e21`, `1e+21`},
		{`1e-7`, `1e-07`},
		{`1e400`, `1e400`},
		{`"a\u0062c"`, `"abc"`},
		{`null`, `null`},
		{`true`, `true`},
		{`[ 1 , 2.0 ,"x" ]`, `[1,2.0,"x"]`},
		{`{"b":{"d":1,"c":2},"a":[]}`, `{"a":[],"b":{"c":2,"d":1}}`},
	}
	for _, tt := range tests {
		got, err := canonicalJSON([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("canonicalJSON(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `{`, `1 2`, `[1,]`} {
		if got, err := canonicalJSON([]byte(bad)); err == nil {
			t.Errorf("canonicalJSON(%q) = %s, want an error", bad, got)
		}
	}
}

func mustParse(t testing.TB, line string) maelstrom.Msg {
	t.Helper()
	m, err := maelstrom.ParseLine([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
