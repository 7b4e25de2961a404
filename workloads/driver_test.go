package workloads_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/sim"
	"github.com/ddbbench/ddbbench/workloads"
	"github.com/ddbbench/ddbbench/workloads/register"
)

// slowNode answers every request after a fixed delay, or never when mute,
// or with the given error code.
type slowNode struct {
	env   nodes.Env
	delay time.Duration
	mute  bool
	code  int
}

func (n *slowNode) Init(env nodes.Env) { n.env = env }
func (n *slowNode) Handle(msg maelstrom.Msg) {
	if n.mute {
		return
	}
	n.env.SetTimer(n.delay, func() {
		if n.code != 0 {
			n.env.ReplyError(msg, n.code, "no")
			return
		}
		if msg.Type == "read" {
			n.env.Reply(msg, "read_ok", maelstrom.ReadOKBody{Value: 1})
			return
		}
		n.env.Reply(msg, msg.Type+"_ok", nil)
	})
}

func drive(t *testing.T, node *slowNode, clients int, rate float64, timeout, run time.Duration, drain bool) (*workloads.Driver, *sim.Sim) {
	t.Helper()
	s := sim.New(sim.Config{Seed: 1})
	s.AddServer("n0", func() nodes.Node { return node })
	d := workloads.NewDriver(register.New(register.DefaultConfig()), workloads.DriverConfig{Rate: rate, OpTimeout: timeout, Nodes: []string{"n0"}},
		clients, rand.New(rand.NewPCG(1, 2)))
	for _, c := range d.Clients() {
		s.AddClient(c.ID(), func() nodes.Node { return c })
	}
	s.Start()
	d.Start(s)
	if err := s.RunUntil(run); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	if drain {
		// Let what is in flight answer or time out, as the harness does.
		if err := s.RunUntil(run + timeout); err != nil {
			t.Fatal(err)
		}
	}
	d.Abandon()
	return d, s
}

func TestOpenLoopMeasuresFromIntendedStart(t *testing.T) {
	// One client, 100 ops/s offered, 50 ms of service each: the client can
	// do 20/s, so arrivals queue and latency grows far beyond 50 ms.
	d, _ := drive(t, &slowNode{delay: 50 * time.Millisecond}, 1, 100, time.Second, 5*time.Second, false)
	h := d.History()
	if len(h) < 90 || len(h) > 110 {
		t.Fatalf("one client at 50 ms per op should finish about 100 ops in 5 s, got %d", len(h))
	}
	last := h[len(h)-2] // the very last is the op abandoned at the end
	if last.Outcome != history.OK || last.ServiceTime() != 50*time.Millisecond {
		t.Fatalf("service time %v, want 50ms", last.ServiceTime())
	}
	if last.Latency() < time.Second {
		t.Fatalf("latency from the intended start should include the queueing (seconds), got %v", last.Latency())
	}
	if d.Unstarted == 0 {
		t.Fatal("arrivals left in the backlog at the end must be counted as unstarted")
	}
}

func TestAClientNeverOverlapsItself(t *testing.T) {
	// Zero-delay replies: without a turnaround, a client's operations would
	// share timestamps and look concurrent to the checker.
	d, _ := drive(t, &slowNode{}, 3, 2000, time.Second, 2*time.Second, false)
	lastEnd := map[string]int64{}
	for _, op := range d.History() {
		if end, ok := lastEnd[op.Client]; ok && op.Invoke <= end {
			t.Fatalf("client %s invoked at %d, not after its previous completion at %d", op.Client, op.Invoke, end)
		}
		lastEnd[op.Client] = op.Complete
	}
}

func TestTimeoutsAreInfoAndMoveTheClientToANewProcess(t *testing.T) {
	d, _ := drive(t, &slowNode{mute: true}, 2, 10, 200*time.Millisecond, 3*time.Second, false)
	seen := map[int]bool{}
	for _, op := range d.History() {
		if op.Outcome != history.Info || op.Error == nil || op.Error.Code != maelstrom.Timeout {
			t.Fatalf("an unanswered op must be info with a timeout error, got %+v", op)
		}
		if seen[op.Process] {
			t.Fatalf("process %d was reused after an info op", op.Process)
		}
		seen[op.Process] = true
	}
	if len(seen) < 2 {
		t.Fatalf("expected several info ops, got %d", len(seen))
	}
}

func TestErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		code int
		want func(op *history.Op) history.Outcome
	}{
		{maelstrom.TemporarilyUnavailable, func(*history.Op) history.Outcome { return history.Fail }},
		{maelstrom.Crash, func(*history.Op) history.Outcome { return history.Info }},
		{maelstrom.KeyDoesNotExist, func(op *history.Op) history.Outcome {
			if op.F == "write" {
				return history.Fail // a write cannot meet a missing key: not a result
			}
			return history.OK
		}},
		{maelstrom.PreconditionFailed, func(op *history.Op) history.Outcome {
			if op.F == "cas" {
				return history.OK
			}
			return history.Fail
		}},
	} {
		d, _ := drive(t, &slowNode{delay: time.Millisecond, code: tc.code}, 2, 50, time.Second, 2*time.Second, true)
		for _, op := range d.History() {
			if want := tc.want(op); op.Outcome != want || op.Error == nil || op.Error.Code != tc.code {
				t.Fatalf("code %d on %s: got %s, want %s", tc.code, op.F, op.Outcome, want)
			}
		}
	}
}

func TestAbandonRecordsInFlightOpsAsInfo(t *testing.T) {
	d, _ := drive(t, &slowNode{delay: time.Hour}, 4, 100, 2*time.Hour, time.Second, false)
	if len(d.History()) != 4 || d.Outstanding() != 0 {
		t.Fatalf("the 4 clients' in-flight ops should be recorded as info, got %d ops, %d outstanding", len(d.History()), d.Outstanding())
	}
	for _, op := range d.History() {
		if op.Outcome != history.Info {
			t.Fatalf("abandoned op recorded as %s", op.Outcome)
		}
	}
}

// recording is the register workload with a FailureRecorder: it keeps the
// text of every error reply it is shown.
type recording struct {
	*register.Workload
	seen []string
}

func (r *recording) RecordFailure(op *history.Op, resp maelstrom.Msg) {
	if e := resp.Err(); e != nil {
		r.seen = append(r.seen, e.Text)
	}
}

// A FailureRecorder sees every error reply, and no timeout (which has none).
func TestFailureRecorderSeesErrorReplies(t *testing.T) {
	for _, tc := range []struct {
		node *slowNode
		want bool
	}{
		{&slowNode{delay: time.Millisecond, code: maelstrom.TxnConflict}, true},
		{&slowNode{mute: true}, false},
	} {
		s := sim.New(sim.Config{Seed: 1})
		s.AddServer("n0", func() nodes.Node { return tc.node })
		w := &recording{Workload: register.New(register.DefaultConfig())}
		d := workloads.NewDriver(w, workloads.DriverConfig{Rate: 10, OpTimeout: 100 * time.Millisecond, Nodes: []string{"n0"}}, 1, rand.New(rand.NewPCG(1, 2)))
		for _, c := range d.Clients() {
			s.AddClient(c.ID(), func() nodes.Node { return c })
		}
		s.Start()
		d.Start(s)
		if err := s.RunUntil(time.Second); err != nil {
			t.Fatal(err)
		}
		if got := len(w.seen) > 0; got != tc.want || (got && w.seen[0] != "no") {
			t.Fatalf("mute %v: recorded %q", tc.node.mute, w.seen)
		}
	}
}
