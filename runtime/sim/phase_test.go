package sim

import (
	"reflect"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// decider, at 1 ms, reports that it is deciding, then logs a decision,
// reports it and tells n1: the steps a commit coordinator takes between
// collecting its votes and sending the decision.
type decider struct{ env nodes.Env }

func (d *decider) Init(env nodes.Env) {
	d.env = env
	if _, ok := env.Store().Get("decided"); ok {
		return // the restart after the kill: nothing to do
	}
	env.SetTimer(time.Millisecond, func() {
		env.SetPhase("deciding")
		env.Store().Put("decided", []byte("commit"))
		env.Store().Sync()
		env.CommitState("T1", history.TxnCommit, "")
		env.Send("n1", "decision", struct{}{})
		env.SetPhase("")
	})
}
func (d *decider) Handle(maelstrom.Msg) {}

// A watch on a phase fires inside the step that reports it, and a kill
// there leaves the rest of the step without effect: no decision logged,
// reported or sent, as if the node had crashed at that instant.
func TestAKillOnAPhaseCutsTheStepShort(t *testing.T) {
	for _, kill := range []bool{false, true} {
		s := New(Config{Seed: 1})
		s.AddServer("n0", func() nodes.Node { return &decider{} })
		var got []string
		s.AddServer("n1", func() nodes.Node { return &recorder{got: &got} })
		var fired []string
		cancel := s.WatchPhase("deciding", func(node string) {
			fired = append(fired, node)
			if kill {
				if err := s.Kill(node); err != nil {
					t.Fatal(err)
				}
			}
		})
		s.Start()
		if err := s.RunUntil(10 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		cancel() // already fired: a no-op
		if !reflect.DeepEqual(fired, []string{"n0"}) {
			t.Fatalf("kill=%v: the watch fired for %v, want n0 once", kill, fired)
		}
		_, logged := s.endpoints[0].store.Get("decided")
		sent := len(got) > 0
		reported := len(s.Commits()) > 0
		if kill && (logged || sent || reported) {
			t.Fatalf("killed while deciding, yet logged=%v sent=%v reported=%v", logged, sent, reported)
		}
		if !kill && !(logged && sent && reported) {
			t.Fatalf("not killed, yet logged=%v sent=%v reported=%v", logged, sent, reported)
		}
		if !kill {
			want := []history.CommitEvent{{Time: int64(time.Millisecond), Node: "n0", Txn: "T1", State: history.TxnCommit}}
			if !reflect.DeepEqual(s.Commits(), want) {
				t.Fatalf("commits %+v, want %+v", s.Commits(), want)
			}
			if st := s.Stats(); st.ForcedWrites < 1 || st.ServerByType["decision"] != 1 {
				t.Fatalf("stats %+v: want the decision's forced write and one decision message", st)
			}
			if s.Phase("n0") != "" {
				t.Fatalf("phase %q after the step, want none", s.Phase("n0"))
			}
		}
	}
}

// recorder keeps the types of the messages it receives.
type recorder struct{ got *[]string }

func (r *recorder) Init(nodes.Env)           {}
func (r *recorder) Handle(msg maelstrom.Msg) { *r.got = append(*r.got, msg.Type) }

// A cancelled watch never fires.
func TestACancelledWatchNeverFires(t *testing.T) {
	s := New(Config{Seed: 1})
	s.AddServer("n0", func() nodes.Node { return &decider{} })
	var got []string
	s.AddServer("n1", func() nodes.Node { return &recorder{got: &got} })
	fired := false
	cancel := s.WatchPhase("deciding", func(string) { fired = true })
	cancel()
	s.Start()
	if err := s.RunUntil(10 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if fired {
		t.Fatal("a cancelled watch fired")
	}
}
