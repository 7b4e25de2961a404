package proc

import (
	"strings"
	"testing"
)

func TestTailKeepsTheLastLinesCut(t *testing.T) {
	var tl tail
	for i := range 15 {
		tl.add([]byte(strings.Repeat("x", i) + "\n"))
	}
	// A long line arriving in pieces, as the stderr reader's buffer gives it.
	tl.add([]byte(strings.Repeat("a", 150)))
	tl.add([]byte(strings.Repeat("b", 150)))
	tl.add([]byte("c\n"))
	tl.add([]byte("last\n"))
	got := tl.lines()
	if len(got) != tailLines {
		t.Fatalf("%d lines", len(got))
	}
	if got[0] != strings.Repeat("x", 7) {
		t.Fatalf("oldest kept line %q, want the 8th", got[0])
	}
	want := strings.Repeat("a", 150) + strings.Repeat("b", 50) + "..."
	if got[8] != want || got[9] != "last" {
		t.Fatalf("got %q, %q", got[8], got[9])
	}
}
