package history

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONLRoundTripKeepsEveryField(t *testing.T) {
	h := History{
		{Index: 0, Process: 3, Client: "c3", Node: "n1", F: "cas", Key: "7", Value: []any{1, 2},
			Outcome: Fail, Error: &Error{Code: 22, Text: "expected 1"}, Intended: 5, Invoke: 6, Complete: 9},
		{Index: 1, Process: 4, Client: "c4", Node: "n0", F: "generate", Result: uint64(1<<63 + 1),
			Outcome: OK, Final: true, Intended: 10, Invoke: 10, Complete: 12},
	}
	var buf bytes.Buffer
	if err := h.WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].Error.Code != 22 || back[0].Outcome != Fail || back[0].Key != "7" || !back[1].Final {
		t.Fatalf("read back %+v %+v", back[0], back[1])
	}
	// Ids past 2^53 stay exact.
	if n, ok := back[1].Result.(json.Number); !ok || n.String() != "9223372036854775809" {
		t.Fatalf("result %v (%T)", back[1].Result, back[1].Result)
	}
	if h.Digest() != back.Digest() {
		t.Fatal("digest changed in a round trip")
	}
}

func TestReadJSONLNamesTheBadLine(t *testing.T) {
	_, err := ReadJSONL(strings.NewReader(`{"index":0,"f":"read","type":"ok"}` + "\n\n" + `{"index":"one"}` + "\n"))
	if err == nil || !strings.Contains(err.Error(), "history line 3") {
		t.Fatalf("got %v, want an error naming line 3", err)
	}
}

// Any input either fails to read with an error, or reads as a history that
// writes out as JSONL which reads back to the same history: writing what
// was read is a fixed point. Seeds: testdata/fuzz/FuzzReadJSONL.
func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(`{"index":0,"process":0,"client":"c1","node":"n0","f":"read","key":"1","result":null,"type":"ok","intended":1,"invoke":1,"complete":2}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadJSONL(bytes.NewReader(data))
		if err != nil {
			return
		}
		var once bytes.Buffer
		if err := h.WriteJSONL(&once); err != nil {
			t.Fatalf("a history that was read does not write: %v", err)
		}
		again, err := ReadJSONL(bytes.NewReader(once.Bytes()))
		if err != nil {
			t.Fatalf("what was written does not read back: %v\n%s", err, once.Bytes())
		}
		if len(again) != len(h) {
			t.Fatalf("%d ops read back, %d written", len(again), len(h))
		}
		var twice bytes.Buffer
		if err := again.WriteJSONL(&twice); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("not a fixed point:\n%s\n%s", once.Bytes(), twice.Bytes())
		}
	})
}
