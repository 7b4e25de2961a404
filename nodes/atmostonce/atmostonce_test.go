package atmostonce

import (
	"testing"

	"github.com/ddbbench/ddbbench/maelstrom"
)

func TestDuplicate(t *testing.T) {
	f := New([]string{"n0", "n1"})
	steps := []struct {
		src   string
		msgID int
		dup   bool
	}{
		{"n1", 1, false},
		{"n1", 1, true},  // the network delivered it twice
		{"n1", 2, false}, // a new request
		{"n0", 1, false}, // same id from another server
		{"c1", 5, false}, // clients are not tracked...
		{"c1", 5, false}, // ...so a repeat passes
		{"n0", 1, true},
	}
	for i, s := range steps {
		if got := f.Duplicate(maelstrom.Msg{Src: s.src, MsgID: s.msgID}); got != s.dup {
			t.Errorf("step %d (%s, %d): duplicate %v, want %v", i, s.src, s.msgID, got, s.dup)
		}
	}
}

// The memory is bounded: the oldest request is forgotten first.
func TestForgetsOldest(t *testing.T) {
	f := New([]string{"n1"})
	for id := range Limit + 1 {
		f.Duplicate(maelstrom.Msg{Src: "n1", MsgID: id})
	}
	if f.Duplicate(maelstrom.Msg{Src: "n1", MsgID: Limit}) != true {
		t.Error("the newest request was forgotten")
	}
	if f.Duplicate(maelstrom.Msg{Src: "n1", MsgID: 0}) != false {
		t.Error("the oldest request is still remembered past the limit")
	}
}
