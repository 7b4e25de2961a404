package kvstate

import (
	"testing"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// memStore is a nodes.Store in memory.
type memStore map[string][]byte

func (s memStore) Get(k string) ([]byte, bool) { v, ok := s[k]; return v, ok }
func (s memStore) Put(k string, v []byte)      { s[k] = v }
func (s memStore) Delete(k string)             { delete(s, k) }
func (s memStore) Sync()                       {}

func TestApplyHasLinKVSemantics(t *testing.T) {
	for name, state := range map[string]State{"memory": Map{}, "durable": Durable{Store: memStore{}}} {
		steps := []struct {
			op   Op
			want Result
		}{
			{Op{F: "read", Key: 1}, Result{Code: maelstrom.KeyDoesNotExist}},
			{Op{F: "cas", Key: 1, From: 0, To: 1}, Result{Code: maelstrom.KeyDoesNotExist}},
			{Op{F: "write", Key: 1, Value: 5}, Result{}},
			{Op{F: "read", Key: 1}, Result{Value: 5}},
			{Op{F: "cas", Key: 1, From: 4, To: 6}, Result{Code: maelstrom.PreconditionFailed}},
			{Op{F: "cas", Key: 1, From: 5, To: 6}, Result{}},
			{Op{F: "read", Key: 1}, Result{Value: 6}},
			{Op{F: "read", Key: 2}, Result{Code: maelstrom.KeyDoesNotExist}},
			{Op{F: "append", Key: 1}, Result{Code: maelstrom.MalformedRequest}},
		}
		for i, st := range steps {
			got := Apply(state, st.op)
			if got.Code != st.want.Code || got.Value != st.want.Value {
				t.Errorf("%s step %d %+v: got %+v, want %+v", name, i, st.op, got, st.want)
			}
		}
	}
}

func TestDecodeAndRequestRoundTrip(t *testing.T) {
	for _, op := range []Op{{F: "read", Key: 3}, {F: "write", Key: 3, Value: 9}, {F: "cas", Key: 3, From: 1, To: 2}} {
		typ, body := op.Request()
		line, err := maelstrom.AppendLine(nil, maelstrom.Msg{Src: "c1", Dest: "n0", Type: typ, MsgID: 1, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		msg, err := maelstrom.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := Decode(msg)
		if !ok || err != nil || got != op {
			t.Errorf("%+v came back as %+v (ok %v, err %v)", op, got, ok, err)
		}
	}
	if _, ok, _ := Decode(maelstrom.Msg{Type: "gossip"}); ok {
		t.Fatal("a non-register message decoded as a register op")
	}
}
