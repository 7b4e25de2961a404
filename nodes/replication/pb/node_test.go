package pb

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// fakeEnv records what a node sends; timers never fire and RPCs never
// complete unless the test calls them back.
type fakeEnv struct {
	id, role string
	ids      []string
	store    map[string][]byte
	sent     []maelstrom.Msg
	rpcs     []func(maelstrom.Msg, error)
	timer    nodes.TimerID
}

func (e *fakeEnv) ID() string         { return e.id }
func (e *fakeEnv) NodeIDs() []string  { return e.ids }
func (e *fakeEnv) Now() time.Duration { panic("pb must not read the clock") }
func (e *fakeEnv) Rand() nodes.Rand   { return rand.New(rand.NewPCG(1, 2)) }
func (e *fakeEnv) Send(dest, typ string, body any) {
	e.sent = append(e.sent, maelstrom.Msg{Dest: dest, Type: typ, Body: body})
}
func (e *fakeEnv) Store() nodes.Store                           { return e }
func (e *fakeEnv) Logf(string, ...any)                          {}
func (e *fakeEnv) SetRole(role string)                          { e.role = role }
func (e *fakeEnv) WaitsFor(string, []string)                    {}
func (e *fakeEnv) SetPhase(string)                              {}
func (e *fakeEnv) CommitState(string, string, string)           {}
func (e *fakeEnv) CancelTimer(nodes.TimerID)                    {}
func (e *fakeEnv) SetTimer(time.Duration, func()) nodes.TimerID { e.timer++; return e.timer }
func (e *fakeEnv) Reply(req maelstrom.Msg, typ string, body any) {
	e.sent = append(e.sent, maelstrom.Msg{Dest: req.Src, Type: typ, Body: body, InReplyTo: req.MsgID})
}
func (e *fakeEnv) ReplyError(req maelstrom.Msg, code int, text string) {
	e.Reply(req, "error", maelstrom.ErrorBody{Code: code, Text: text})
}
func (e *fakeEnv) RPC(dest, typ string, body any, _ time.Duration, cb func(maelstrom.Msg, error)) {
	e.Send(dest, typ, body)
	e.rpcs = append(e.rpcs, cb)
}
func (e *fakeEnv) Get(k string) ([]byte, bool) { v, ok := e.store[k]; return v, ok }
func (e *fakeEnv) Put(k string, v []byte)      { e.store[k] = v }
func (e *fakeEnv) Delete(k string)             { delete(e.store, k) }
func (e *fakeEnv) Sync()                       {}

func (e *fakeEnv) count(typ string) int {
	n := 0
	for _, m := range e.sent {
		if m.Type == typ {
			n++
		}
	}
	return n
}

// A forwarded write that the network delivers twice is executed once: the
// second copy, arriving after a later write to the key, must not bring the
// old value back.
func TestDuplicateForwardIsExecutedOnce(t *testing.T) {
	env := &fakeEnv{id: "n0", ids: []string{"n0", "n1"}, store: map[string][]byte{}}
	n := New(Sync).(*Node)
	n.Init(env)
	if env.role != "primary" {
		t.Fatalf("n0 should start as primary, role %q", env.role)
	}
	fwd := maelstrom.Msg{Src: "n1", Dest: "n0", Type: typeForward, MsgID: 7, Body: ForwardBody{Op: kvstate.Op{F: "write", Key: 1, Value: 5}}}
	n.Handle(fwd)
	if got := env.count(typeUpdate); got != 1 {
		t.Fatalf("want one update to the backup, got %d", got)
	}
	// The backup acknowledges; the write completes.
	env.rpcs[0](maelstrom.Msg{Src: "n1", Type: typeAck, Body: AckBody{Epoch: 0, Seq: 1}}, nil)
	if got := env.count("write_ok"); got != 1 {
		t.Fatalf("want the write acknowledged once, got %d", got)
	}
	// A later write, then the duplicate of the first.
	n.Handle(maelstrom.Msg{Src: "c1", Dest: "n0", Type: "write", MsgID: 3, Body: maelstrom.WriteBody{Key: 1, Value: 6}})
	env.rpcs[1](maelstrom.Msg{Src: "n1", Type: typeAck, Body: AckBody{Epoch: 0, Seq: 2}}, nil)
	n.Handle(fwd)
	if got := env.count(typeUpdate); got != 2 {
		t.Fatalf("the duplicate was executed: %d updates", got)
	}
	if v := n.data[1]; v != 6 {
		t.Fatalf("key 1 holds %d, want 6", v)
	}
}

// A backup applies the stream in order, buffering what arrives early, and
// acknowledges each message only once it has applied it.
func TestBackupAppliesInOrder(t *testing.T) {
	env := &fakeEnv{id: "n1", ids: []string{"n0", "n1"}, store: map[string][]byte{}}
	n := New(Sync).(*Node)
	n.Init(env)
	upd := func(seq, value int) maelstrom.Msg {
		return maelstrom.Msg{Src: "n0", Dest: "n1", Type: typeUpdate, MsgID: 100 + seq,
			Body: UpdateBody{Epoch: 0, Seq: seq, View: []string{"n1"}, VV: 1, Key: 1, Value: value}}
	}
	n.Handle(upd(2, 20))
	if env.count(typeAck) != 0 || n.seq != 0 {
		t.Fatalf("seq 2 before seq 1 must wait: acks %d, seq %d", env.count(typeAck), n.seq)
	}
	n.Handle(upd(1, 10))
	if env.count(typeAck) != 2 || n.seq != 2 || n.data[1] != 20 {
		t.Fatalf("after seq 1: acks %d, seq %d, value %d; want 2, 2, 20", env.count(typeAck), n.seq, n.data[1])
	}
	n.Handle(upd(1, 10)) // a retransmission
	if env.count(typeAck) != 3 || n.data[1] != 20 {
		t.Fatalf("a retransmitted update must be acknowledged and not reapplied: value %d", n.data[1])
	}
	// A refused stream: an older primary's update after a newer epoch.
	n.Handle(maelstrom.Msg{Src: "n0", Dest: "n1", Type: typeSnapshot, MsgID: 200, Body: SnapshotBody{Epoch: 0, Seq: 1, View: []string{"n1"}, VV: 1, Data: [][2]int{{1, 10}}}})
	if n.data[1] != 20 {
		t.Fatal("a stale snapshot of the same epoch must not roll the copy back")
	}
}
