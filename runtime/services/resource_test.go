package services

import (
	"fmt"
	"testing"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// access sends one read or write to the resource and renders the answer as
// "read_ok value=V seq=S", "write_ok ..." or "error CODE".
func access(t *testing.T, env *fakeEnv, node nodes.Node, typ string, body any) string {
	t.Helper()
	reply := env.handle(node, maelstrom.Msg{Src: "c0", Dest: maelstrom.ResourceID, Type: typ, MsgID: len(env.sent) + 1, Body: body})
	if e := reply.Err(); e != nil {
		return fmt.Sprintf("error %d", e.Code)
	}
	b, err := maelstrom.Decode[maelstrom.ResourceOKBody](reply)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s value=%d seq=%d", reply.Type, b.Value, b.Seq)
}

func tok(v int64) *int64 { return &v }

func TestResourceFencing(t *testing.T) {
	type step struct {
		typ  string
		body any
		want string
	}
	read := func(token int64) maelstrom.ResourceReadBody {
		return maelstrom.ResourceReadBody{Key: "l1", Token: tok(token)}
	}
	write := func(token, v int64) maelstrom.ResourceWriteBody {
		return maelstrom.ResourceWriteBody{Key: "l1", Token: token, Value: v}
	}
	// Kleppmann's scenario: holder 33 reads, pauses; holder 34 reads and
	// writes; 33 resumes and writes.
	scenario := []step{
		{"read", read(33), "read_ok value=0 seq=1"},
		{"read", read(34), "read_ok value=0 seq=2"},
		{"write", write(34, 1), "write_ok value=1 seq=3"},
		{"write", write(33, 1), ""}, // fenced: refused; plain: accepted
		{"read", maelstrom.ResourceReadBody{Key: "l1"}, ""},
	}
	for _, tc := range []struct {
		fenced     bool
		stale, end string
	}{
		{fenced: true, stale: fmt.Sprintf("error %d", maelstrom.StaleToken), end: "read_ok value=1 seq=4"},
		{fenced: false, stale: "write_ok value=1 seq=4", end: "read_ok value=1 seq=5"},
	} {
		t.Run(fmt.Sprintf("fenced=%v", tc.fenced), func(t *testing.T) {
			env := newFakeEnv(t, maelstrom.ResourceID, nil)
			node := NewResource(tc.fenced)()
			node.Init(env)
			for i, s := range scenario {
				want := s.want
				switch i {
				case 3:
					want = tc.stale
				case 4:
					want = tc.end
				}
				if got := access(t, env, node, s.typ, s.body); got != want {
					t.Fatalf("step %d %s %+v: got %q, want %q", i, s.typ, s.body, got, want)
				}
			}
		})
	}
}

// Keys are independent, and the same token may be used again by its holder
// (read then write under one grant).
func TestResourceKeysAndEqualTokens(t *testing.T) {
	env := newFakeEnv(t, maelstrom.ResourceID, nil)
	node := NewResource(true)()
	node.Init(env)
	for _, s := range []struct {
		typ  string
		body any
		want string
	}{
		{"read", maelstrom.ResourceReadBody{Key: "a", Token: tok(5)}, "read_ok value=0 seq=1"},
		{"write", maelstrom.ResourceWriteBody{Key: "a", Token: 5, Value: 7}, "write_ok value=7 seq=2"},
		{"read", maelstrom.ResourceReadBody{Key: "b", Token: tok(1)}, "read_ok value=0 seq=1"},
		{"read", maelstrom.ResourceReadBody{Key: "a", Token: tok(4)}, fmt.Sprintf("error %d", maelstrom.StaleToken)},
		{"read", maelstrom.ResourceReadBody{}, fmt.Sprintf("error %d", maelstrom.MalformedRequest)},
	} {
		if got := access(t, env, node, s.typ, s.body); got != s.want {
			t.Fatalf("%s %+v: got %q, want %q", s.typ, s.body, got, s.want)
		}
	}
	// A process's raw JSON decodes too.
	reply := env.handleLine(node, `{"src":"c1","dest":"resource","body":{"type":"write","msg_id":9,"key":"a","token":6,"value":8}}`)
	if reply.Type != "write_ok" {
		t.Fatalf("raw write: %s", reply.Type)
	}
}
