package set

import (
	"testing"

	"github.com/ddbbench/ddbbench/history"
)

// A broadcast-shaped history: n adds and n reads, each read returning every
// element added so far (the size of the history itself is quadratic).
func benchHistory(n int) history.History {
	var h history.History
	var seen []any
	for i := range n {
		h = append(h, &history.Op{Index: len(h), F: "add", Value: i, Outcome: history.OK, Invoke: int64(2 * i), Complete: int64(2*i + 1)})
		seen = append(seen, int64(i))
		r := make([]any, len(seen))
		copy(r, seen)
		h = append(h, &history.Op{Index: len(h), F: "read", Result: r, Outcome: history.OK, Node: "n0", Invoke: int64(2*i + 1), Complete: int64(2*i + 2)})
	}
	return h
}

func BenchmarkSetChecker2000(b *testing.B) {
	h := benchHistory(2000)
	c := New(Options{})
	b.ResetTimer()
	for b.Loop() {
		if res := c.Check(h); res.Valid != "valid" {
			b.Fatal(res.Summary)
		}
	}
}
