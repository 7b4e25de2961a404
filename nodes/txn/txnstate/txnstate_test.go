package txnstate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// mapStore is a nodes.Store in a map.
type mapStore map[string][]byte

func (s mapStore) Get(k string) ([]byte, bool) { v, ok := s[k]; return v, ok }
func (s mapStore) Put(k string, v []byte)      { s[k] = append([]byte(nil), v...) }
func (s mapStore) Delete(k string)             { delete(s, k) }
func (s mapStore) Sync()                       {}

func TestApply(t *testing.T) {
	for _, name := range []string{"mem", "durable"} {
		t.Run(name, func(t *testing.T) {
			var s State = Mem{}
			if name == "durable" {
				s = Durable{Store: mapStore{}}
			}
			s.Put(1, []int{8})
			s.Put(5, 3)
			in := txn.Txn{
				{F: txn.Read, Key: 1}, {F: txn.Append, Key: 1, Value: 6}, {F: txn.Read, Key: 1},
				{F: txn.Append, Key: 2, Value: 9}, {F: txn.Read, Key: 3},
				{F: txn.Read, Key: 5}, {F: txn.Write, Key: 5, Value: 4}, {F: txn.Write, Key: 5, Value: 7}, {F: txn.Read, Key: 5},
			}
			done, writes, err := Apply(s, in)
			if err != nil {
				t.Fatal(err)
			}
			want := txn.Txn{
				{F: txn.Read, Key: 1, Value: []int{8}}, in[1], {F: txn.Read, Key: 1, Value: []int{8, 6}},
				in[3], {F: txn.Read, Key: 3},
				{F: txn.Read, Key: 5, Value: 3}, in[6], in[7], {F: txn.Read, Key: 5, Value: 7},
			}
			if !reflect.DeepEqual(done, want) {
				t.Fatalf("done %v\nwant %v", done, want)
			}
			wantWrites := []Write{{1, []int{8, 6}}, {2, []int{9}}, {5, 7}}
			if !reflect.DeepEqual(writes, wantWrites) {
				t.Fatalf("writes %v, want %v", writes, wantWrites)
			}
			for _, w := range wantWrites {
				if got := s.Get(w.Key); !reflect.DeepEqual(got, w.Value) {
					t.Errorf("key %d holds %v, want %v", w.Key, got, w.Value)
				}
			}
			if in[0].Value != nil {
				t.Error("Apply filled in the request's read")
			}
		})
	}
}

// A list once read stays as it was when the key is appended to later.
func TestListsAreNotSharedWithReaders(t *testing.T) {
	s := Mem{}
	s.Put(1, make([]int, 1, 10)) // spare capacity an in-place append would use
	done, _, _ := Apply(s, txn.Txn{{F: txn.Read, Key: 1}})
	Apply(s, txn.Txn{{F: txn.Append, Key: 1, Value: 5}})
	Apply(s, txn.Txn{{F: txn.Append, Key: 1, Value: 6}})
	read := done[0].Value.([]int)
	if len(read) != 1 {
		t.Fatalf("the earlier read changed to %v", read)
	}
	if got := s.Get(1); !reflect.DeepEqual(got, []int{0, 5, 6}) {
		t.Fatalf("key 1 holds %v", got)
	}
}

// A micro-op that does not fit aborts the transaction with nothing written.
func TestApplyAbortsWhole(t *testing.T) {
	s := Mem{1: 3}
	_, _, err := Apply(s, txn.Txn{{F: txn.Write, Key: 2, Value: 1}, {F: txn.Append, Key: 1, Value: 4}})
	if err == nil || err.Code != maelstrom.Abort || !strings.Contains(err.Text, "holds a register") {
		t.Fatalf("error %v", err)
	}
	if _, ok := s[2]; ok {
		t.Fatal("an aborted transaction wrote key 2")
	}
	if _, _, err := Apply(Mem{1: []int{1}}, txn.Txn{{F: txn.Write, Key: 1, Value: 4}}); err == nil || !strings.Contains(err.Text, "holds a list") {
		t.Fatalf("write to a list: %v", err)
	}
}

func TestDecode(t *testing.T) {
	good := maelstrom.Msg{Type: "txn", Raw: json.RawMessage(`{"type":"txn","msg_id":3,"txn":[["r",1,null],["w",1,6],["append",2,9]]}`)}
	got, err := Decode(good)
	if err != nil {
		t.Fatal(err)
	}
	want := txn.Txn{{F: txn.Read, Key: 1}, {F: txn.Write, Key: 1, Value: 6}, {F: txn.Append, Key: 2, Value: 9}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	for body, why := range map[string]string{
		`{"txn":[["x",1,null]]}`:     "unknown function",
		`{"txn":[["w",1,null]]}`:     "must be an integer",
		`{"txn":[["append",1,[2]]]}`: "must be an integer",
		`{"txn":[["r",1]]}`:          "want [f, k, v]",
		`{"txn":[["r","one",null]]}`: "key",
	} {
		_, err := Decode(maelstrom.Msg{Type: "txn", Raw: json.RawMessage(body)})
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: error %v, want %q", body, err, why)
		}
	}
}

func TestIncarnationCountsStarts(t *testing.T) {
	s := mapStore{}
	for want := 1; want <= 3; want++ {
		if got := Incarnation(s); got != want {
			t.Fatalf("start %d: incarnation %d", want, got)
		}
	}
}
