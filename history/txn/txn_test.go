package txn

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ddbbench/ddbbench/history"
)

func TestRoundTripThroughHistory(t *testing.T) {
	in := Txn{{F: Append, Key: 3, Value: 7}, {F: Read, Key: 3, Value: []int{1, 7}}, {F: Read, Key: 4}, {F: Write, Key: 5, Value: 2}}
	h := history.History{{F: "txn", Value: in, Result: in}}
	var buf bytes.Buffer
	if err := h.WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); !bytes.Contains([]byte(got), []byte(`"value":[["append",3,7],["r",3,[1,7]],["r",4,null],["w",5,2]]`)) {
		t.Fatalf("encoded as %s", got)
	}
	back, err := history.ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(back[0].Result)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("got %#v, want %#v", got, in)
	}
}

func TestUnmarshalWire(t *testing.T) {
	var got Txn
	if err := json.Unmarshal([]byte(`[["r",1,null],["r",2,[]],["w",3,4]]`), &got); err != nil {
		t.Fatal(err)
	}
	want := Txn{{F: Read, Key: 1}, {F: Read, Key: 2, Value: []int{}}, {F: Write, Key: 3, Value: 4}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{`[["r",1]]`, `[[1,1,null]]`, `[["r","k",null]]`, `[["w",1,1.5]]`, `[["r",1,["x"]]]`, `{"r":1}`} {
		var v any
		dec := json.NewDecoder(bytes.NewReader([]byte(bad)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(v); err == nil {
			t.Errorf("Parse(%s) accepted it", bad)
		}
	}
}
