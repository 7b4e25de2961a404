package sim

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// fakeProcess answers pings from another goroutine, the way a child
// process's reader does, and records the signals it got.
type fakeProcess struct {
	s       *Sim
	id      string
	signals []string
}

func (f *fakeProcess) Boot(ids []string) error {
	f.signals = append(f.signals, "boot:"+strings.Join(ids, ","))
	return nil
}
func (f *fakeProcess) Kill()   { f.signals = append(f.signals, "kill") }
func (f *fakeProcess) Pause()  { f.signals = append(f.signals, "pause") }
func (f *fakeProcess) Resume() { f.signals = append(f.signals, "resume") }
func (f *fakeProcess) Deliver(msg maelstrom.Msg) {
	line, _ := maelstrom.AppendLine(nil, msg)
	go func() {
		in, _ := maelstrom.ParseLine(line)
		reply := maelstrom.Msg{Src: f.id, Dest: in.Src, Type: "pong", InReplyTo: in.MsgID,
			Raw: []byte(`{"type":"pong","in_reply_to":` + itoa(in.MsgID) + `,"n":3}`)}
		f.s.Post(func() { f.s.Inject(reply) })
	}()
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestExternalNodeInRealTime(t *testing.T) {
	s := New(Config{RealTime: true})
	proc := &fakeProcess{s: s, id: "n0"}
	s.AddExternal("n0", proc)
	c := &caller{}
	s.AddClient("c0", func() nodes.Node { return c })
	s.Start()
	c.call("n0", 1)
	start := time.Now()
	if err := s.RunUntil(50 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if wall := time.Since(start); wall < 40*time.Millisecond {
		t.Fatalf("real-time mode ran 50ms of virtual time in %v of wall time", wall)
	}
	if len(c.log) != 1 || !strings.HasSuffix(c.log[0], "1 ok 3") {
		t.Fatalf("want the process's pong, got %v", c.log)
	}
	_ = s.Kill("n0")
	_ = s.Restart("n0")
	_ = s.Pause("n0")
	_ = s.Resume("n0")
	want := "boot:n0 kill boot:n0 pause resume"
	if got := strings.Join(proc.signals, " "); got != want {
		t.Fatalf("signals %q, want %q", got, want)
	}
}

func TestInjectFromUnknownSourceFails(t *testing.T) {
	s := New(Config{RealTime: true})
	s.AddExternal("n0", &fakeProcess{s: s, id: "n0"})
	s.Start()
	s.Post(func() { s.Inject(maelstrom.Msg{Src: "n7", Dest: "n0", Type: "x"}) })
	err := s.RunUntil(20 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), `src "n7"`) {
		t.Fatalf("want an error naming n7, got %v", err)
	}
}
