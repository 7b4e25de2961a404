package sim

import (
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// sloppy is a server with a protocol bug per ping number: 1 is answered
// twice, 2 with an in_reply_to nobody sent, 3 after two seconds (past the
// caller's one-second timeout), 4 with an unsolicited message beside the
// answer; 5 is answered properly.
type sloppy struct{ env nodes.Env }

func (s *sloppy) Init(env nodes.Env) { s.env = env }
func (s *sloppy) Handle(msg maelstrom.Msg) {
	b, _ := maelstrom.Decode[ping](msg)
	switch b.N {
	case 1:
		s.env.Reply(msg, "pong", b)
		s.env.Reply(msg, "pong", b)
	case 2:
		stray := maelstrom.Msg{Src: msg.Src, Type: "pong", MsgID: 424242}
		s.env.Reply(stray, "pong", b)
	case 3:
		s.env.SetTimer(2*time.Second, func() { s.env.Reply(msg, "pong", b) })
	case 4:
		s.env.Send(msg.Src, "pong", b)
		s.env.Reply(msg, "pong", b)
	default:
		s.env.Reply(msg, "pong", b)
	}
}

func TestProtocolWarnings(t *testing.T) {
	s := New(Config{Seed: 1})
	s.AddServer("n0", func() nodes.Node { return &sloppy{} })
	c := &caller{}
	s.AddClient("c0", func() nodes.Node { return c })
	s.Start()
	for n := 1; n <= 5; n++ {
		c.call("n0", n)
	}
	if err := s.RunUntil(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	w := s.Warnings()
	want := map[string]int{WarnDuplicateReply: 1, WarnUnknownInReplyTo: 1, WarnLateReply: 1, WarnUnsolicited: 1}
	for kind, n := range want {
		if w.Counts[kind] != n || len(w.Examples[kind]) != n {
			t.Errorf("%s: %d warnings (%d examples), want %d", kind, w.Counts[kind], len(w.Examples[kind]), n)
		}
	}
	if len(w.Counts) != len(want) {
		t.Errorf("warnings %v, want exactly %v", w.Counts, want)
	}
	late := w.Examples[WarnLateReply][0]
	if late.Src != "n0" || late.Dest != "c0" || late.Type != "pong" || !late.IsReply || late.At != 2*time.Second {
		t.Errorf("late reply example %+v", late)
	}
	if u := w.Examples[WarnUnknownInReplyTo][0]; u.InReplyTo != 424242 {
		t.Errorf("unknown in_reply_to example %+v", u)
	}
}

// Examples are capped; counts are not.
func TestProtocolWarningExamplesAreCapped(t *testing.T) {
	s := New(Config{Seed: 1})
	s.AddServer("n0", func() nodes.Node { return &sloppy{} })
	c := &caller{}
	s.AddClient("c0", func() nodes.Node { return c })
	s.Start()
	for range 3 * maxWarningExamples {
		c.call("n0", 1)
		if err := s.RunUntil(s.Now() + time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	w := s.Warnings()
	if w.Counts[WarnDuplicateReply] != 3*maxWarningExamples || len(w.Examples[WarnDuplicateReply]) != maxWarningExamples {
		t.Fatalf("%d duplicates, %d examples", w.Counts[WarnDuplicateReply], len(w.Examples[WarnDuplicateReply]))
	}
}

// Between servers, late and stray replies are the protocol's own business
// (a reference node's RPC timed out): only what clients receive counts.
func TestWarningsAreAboutClients(t *testing.T) {
	s, c, _ := newCluster(t, Config{Seed: 1}, 1)
	c.call("n1", 1)
	if err := s.RunUntil(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	if w := s.Warnings(); len(w.Counts) != 0 {
		t.Fatalf("warnings %v in a clean run", w.Counts)
	}
}
