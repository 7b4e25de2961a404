package raft

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// A log entry reads back as it was written, whatever its client id holds.
func TestPropertyEntryRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := Entry{Term: rapid.IntRange(0, 1<<40).Draw(t, "term")}
		if rapid.Bool().Draw(t, "command") {
			e.Op = &kvstate.Op{
				F:     rapid.SampledFrom([]string{"read", "write", "cas"}).Draw(t, "f"),
				Key:   rapid.Int().Draw(t, "key"),
				Value: rapid.Int().Draw(t, "value"),
				From:  rapid.Int().Draw(t, "from"),
				To:    rapid.Int().Draw(t, "to"),
			}
			e.Client = rapid.String().Draw(t, "client")
			e.ReqID = rapid.Int().Draw(t, "req")
		}
		got, err := parseEntry(appendEntry(nil, e))
		if err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		if got.Term != e.Term || got.Client != e.Client || got.ReqID != e.ReqID || (got.Op == nil) != (e.Op == nil) || got.Op != nil && *got.Op != *e.Op {
			t.Fatalf("wrote %+v (op %+v), read %+v (op %+v)", e, e.Op, got, got.Op)
		}
	})
}

func TestMalformedEntriesAreRejected(t *testing.T) {
	for _, b := range []string{"", "x", "3 write 1 2", "3 write 1 2 3 4 x c1"} {
		if _, err := parseEntry([]byte(b)); err == nil {
			t.Errorf("%q parsed", b)
		}
	}
}
