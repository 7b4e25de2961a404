package workloads_test

import (
	"fmt"
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

// Far more load than the clients can take: the backlog stops growing at its
// bound, and every arrival is accounted for, started or not.
func TestBacklogIsBoundedAndTurnedAwayArrivalsCount(t *testing.T) {
	s := sim.New(sim.Config{Seed: 1})
	s.AddServer("n0", func() nodes.Node { return &slowNode{mute: true} })
	d := workloads.NewDriver(register.New(register.DefaultConfig()),
		workloads.DriverConfig{Rate: 10_000, OpTimeout: time.Hour, Nodes: []string{"n0"}, MaxBacklog: 50},
		2, rand.New(rand.NewPCG(1, 2)))
	for _, c := range d.Clients() {
		s.AddClient(c.ID(), func() nodes.Node { return c })
	}
	arrivals := 0
	s.Start()
	d.Start(s)
	peak := 0
	for step := range 100 {
		if err := s.RunUntil(time.Duration(step+1) * 10 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		peak = max(peak, d.Backlog())
		arrivals = d.Arrivals
		if got := d.Backlog() + d.Unstarted + d.Outstanding(); got != arrivals {
			t.Fatalf("%d arrivals, but %d waiting, turned away or running", arrivals, got)
		}
	}
	if peak != 50 {
		t.Fatalf("backlog peaked at %d, want the bound, 50", peak)
	}
	// 10,000/s for a second; the two mute clients hold one each.
	if arrivals < 9000 || d.Unstarted < arrivals-52 {
		t.Fatalf("%d arrivals, %d unstarted", arrivals, d.Unstarted)
	}
	d.Stop()
	if d.Backlog() != 0 || d.Unstarted != arrivals-2 {
		t.Fatalf("after Stop: backlog %d, unstarted %d, want 0 and %d", d.Backlog(), d.Unstarted, arrivals-2)
	}
}

// lateScheduler is a virtual clock whose callbacks all fire late, as a busy
// loop driving real processes fires them: each runs lag after its time.
type lateScheduler struct {
	now   time.Duration
	lag   time.Duration
	queue []lateEvent
}

type lateEvent struct {
	at time.Duration
	f  func()
}

func (s *lateScheduler) Now() time.Duration { return s.now }
func (s *lateScheduler) After(d time.Duration, f func()) {
	s.queue = append(s.queue, lateEvent{at: s.now + d + s.lag, f: f})
}

// runUntil fires callbacks in time order up to t.
func (s *lateScheduler) runUntil(t time.Duration) {
	for {
		next := -1
		for i, e := range s.queue {
			if e.at <= t && (next < 0 || e.at < s.queue[next].at) {
				next = i
			}
		}
		if next < 0 {
			s.now = t
			return
		}
		e := s.queue[next]
		s.queue = append(s.queue[:next], s.queue[next+1:]...)
		s.now = max(s.now, e.at)
		e.f()
	}
}

// Arrivals are due on the intended schedule, not after the late moment the
// previous one fired: a loop that always fires 2 ms late must still offer
// the same arrivals as a punctual one (the schedule comes from the seed),
// and about rate x time of them.
func TestLateSchedulerStillOffersTheFullRate(t *testing.T) {
	const rate, run = 500, 10 * time.Second
	arrivals := map[time.Duration]int{}
	for _, lag := range []time.Duration{0, 2 * time.Millisecond} {
		sched := &lateScheduler{lag: lag}
		d := workloads.NewDriver(register.New(register.DefaultConfig()), workloads.DriverConfig{Rate: rate, OpTimeout: time.Second, Nodes: []string{"n0"}},
			0, rand.New(rand.NewPCG(1, 2)))
		d.Start(sched)
		// Run on past the end by the lag, so that the late loop has fired
		// what was due by then.
		sched.runUntil(run + lag)
		d.Stop()
		arrivals[lag] = d.Arrivals
		if d.Unstarted != d.Arrivals {
			t.Errorf("lag %v: with no clients every arrival stays unstarted: %d of %d", lag, d.Unstarted, d.Arrivals)
		}
	}
	if arrivals[2*time.Millisecond] != arrivals[0] {
		t.Errorf("a loop 2 ms late offered %d arrivals, a punctual one %d", arrivals[2*time.Millisecond], arrivals[0])
	}
	if want := rate * run.Seconds(); float64(arrivals[0]) < 0.95*want || float64(arrivals[0]) > 1.05*want {
		t.Errorf("%d arrivals in %v at %v/s", arrivals[0], run, rate)
	}
}

// With more clients than fit on a key, clients in different groups of
// ClientsPerKey never work on the same key: more clients mean more keys.
func TestClientGroupsWorkOnTheirOwnKeys(t *testing.T) {
	cfg := register.DefaultConfig()
	cfg.ClientsPerKey = 3
	s := sim.New(sim.Config{Seed: 1})
	s.AddServer("n0", func() nodes.Node { return &slowNode{delay: 5 * time.Millisecond} })
	d := workloads.NewDriver(register.New(cfg), workloads.DriverConfig{Rate: 500, OpTimeout: time.Second, Nodes: []string{"n0"}},
		9, rand.New(rand.NewPCG(1, 2)))
	for _, c := range d.Clients() {
		s.AddClient(c.ID(), func() nodes.Node { return c })
	}
	s.Start()
	d.Start(s)
	if err := s.RunUntil(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	owner := map[string]int{}
	for _, op := range d.History() {
		var client int
		if _, err := fmt.Sscanf(op.Client, "c%d", &client); err != nil {
			t.Fatal(err)
		}
		g := client / cfg.ClientsPerKey
		if prev, ok := owner[op.Key]; ok && prev != g {
			t.Fatalf("key %s used by client groups %d and %d", op.Key, prev, g)
		}
		owner[op.Key] = g
	}
	groups := map[int]bool{}
	for _, g := range owner {
		groups[g] = true
	}
	if len(groups) != 3 {
		t.Fatalf("9 clients at 3 per key should form 3 groups, saw %d", len(groups))
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
