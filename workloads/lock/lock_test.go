package lock_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/lockops"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/services"
	"github.com/ddbbench/ddbbench/runtime/sim"
	"github.com/ddbbench/ddbbench/workloads"
	"github.com/ddbbench/ddbbench/workloads/lock"
)

// server is a one-node lock service for driving the workload: it grants a
// free lock (a lease of leaseMS when set), refuses a held one, and can be
// told to answer late, or not at all, the first few times.
type server struct {
	env     nodes.Env
	holder  map[string]string
	token   int64
	leaseMS int64
	delay   time.Duration // before every answer
	mute    int           // acquires to ignore
	refuse  int           // acquires to refuse although the lock is free
}

func (s *server) Init(env nodes.Env) { s.env, s.holder = env, map[string]string{} }

func (s *server) Handle(req maelstrom.Msg) {
	s.env.SetTimer(s.delay, func() {
		switch req.Type {
		case "acquire":
			b, _ := maelstrom.Decode[maelstrom.AcquireBody](req)
			if s.mute > 0 {
				s.mute--
				return
			}
			if h := s.holder[b.Lock]; (h != "" && h != b.Client) || s.refuse > 0 {
				s.refuse--
				s.env.ReplyError(req, maelstrom.LockHeld, "held")
				return
			}
			if s.holder[b.Lock] != b.Client {
				s.token++
				s.holder[b.Lock] = b.Client
			}
			s.env.Reply(req, "acquire_ok", maelstrom.AcquireOKBody{Token: s.token, ExpiresMS: s.leaseMS})
		case "release":
			b, _ := maelstrom.Decode[maelstrom.ReleaseBody](req)
			if s.holder[b.Lock] != b.Client {
				s.env.ReplyError(req, maelstrom.NotLockHolder, "no")
				return
			}
			delete(s.holder, b.Lock)
			s.env.Reply(req, "release_ok", nil)
		}
	})
}

// run drives the workload against srv for d of virtual time, with roles
// sampled every millisecond.
func run(t *testing.T, srv *server, cfg lock.Config, rate float64, clients int, d time.Duration) (history.History, map[string]int) {
	t.Helper()
	return runWith(t, srv, cfg, rate, clients, d, nil)
}

// runWith is run with a hook called every millisecond with the simulator
// and the client ids.
func runWith(t *testing.T, srv *server, cfg lock.Config, rate float64, clients int, d time.Duration, hook func(*sim.Sim, []string)) (history.History, map[string]int) {
	t.Helper()
	s := sim.New(sim.Config{Seed: 1})
	s.AddServer("n0", func() nodes.Node { return srv })
	s.AddService(maelstrom.ResourceID, services.NewResource(cfg.Fencing))
	w := lock.New(cfg)
	drv := workloads.NewDriver(w, workloads.DriverConfig{Rate: rate, OpTimeout: time.Second, Nodes: []string{"n0"}}, clients, rand.New(rand.NewPCG(1, 2)))
	var ids []string
	for _, c := range drv.Clients() {
		s.AddClient(c.ID(), func() nodes.Node { return c })
		ids = append(ids, c.ID())
	}
	s.Start()
	drv.Start(s)
	roles := map[string]int{}
	var sample func()
	sample = func() {
		for _, id := range ids {
			roles[s.Role(id)]++
		}
		if hook != nil {
			hook(s, ids)
		}
		s.After(time.Millisecond, sample)
	}
	s.After(0, sample)
	if err := s.RunUntil(d); err != nil {
		t.Fatal(err)
	}
	drv.Stop()
	if err := s.RunUntil(d + 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if drv.Outstanding() != 0 {
		t.Fatalf("%d sequences still going after the drain", drv.Outstanding())
	}
	return drv.History(), roles
}

func parse(t *testing.T, h history.History) map[string][]lockops.Op {
	t.Helper()
	ops, err := lockops.Parse(h)
	if err != nil {
		t.Fatal(err)
	}
	byOwner := map[string][]lockops.Op{}
	for _, o := range ops {
		byOwner[o.Owner] = append(byOwner[o.Owner], o)
	}
	return byOwner
}

func fs(ops []lockops.Op) string {
	s := ""
	for _, o := range ops {
		if s != "" {
			s += " "
		}
		s += o.F
		if o.Code != 0 {
			s += "!"
		}
		if o.Outcome == history.Info {
			s += "?"
		}
	}
	return s
}

// Every acquisition is acquire, read, write, release on one lock, under one
// token; writes store what was read plus one; the accesses go to the
// resource, the rest to the client's node; holders report their role.
func TestSequence(t *testing.T) {
	cfg := lock.DefaultConfig()
	cfg.Locks = 1
	h, roles := run(t, &server{}, cfg, 20, 1, 2*time.Second)
	byOwner := parse(t, h)
	if len(byOwner) < 20 {
		t.Fatalf("%d acquisitions in 2 s at 20/s", len(byOwner))
	}
	for owner, ops := range byOwner {
		if got := fs(ops); got != "acquire read write release" {
			t.Fatalf("%s: %s", owner, got)
		}
		a, r, w, rel := ops[0], ops[1], ops[2], ops[3]
		if r.Node != maelstrom.ResourceID || w.Node != maelstrom.ResourceID || a.Node != "n0" || rel.Node != "n0" {
			t.Fatalf("%s: nodes %s %s %s %s", owner, a.Node, r.Node, w.Node, rel.Node)
		}
		if r.Token != a.Grant.Token || w.Token != a.Grant.Token || rel.Token != a.Grant.Token {
			t.Fatalf("%s: tokens %d %d %d, granted %d", owner, r.Token, w.Token, rel.Token, a.Grant.Token)
		}
		if w.Value != r.Access.Value+1 {
			t.Fatalf("%s wrote %d after reading %d", owner, w.Value, r.Access.Value)
		}
		if gap := time.Duration(w.Invoke - r.Complete); gap < cfg.Hold {
			t.Fatalf("%s worked %v between read and write, want the hold %v", owner, gap, cfg.Hold)
		}
	}
	if roles[lock.HolderRole] == 0 || roles[""] == 0 {
		t.Fatalf("roles sampled: %v", roles)
	}
}

// Refused: back off and ask again, each attempt keeping the arrival as its
// intended start, then give up when patience runs out.
func TestRefusalsRetryThenGiveUp(t *testing.T) {
	cfg := lock.DefaultConfig()
	cfg.Locks, cfg.Patience = 1, 200*time.Millisecond
	h, _ := run(t, &server{refuse: 1000}, cfg, 2, 1, 1*time.Second)
	for owner, ops := range parse(t, h) {
		if len(ops) < 5 {
			t.Fatalf("%s: only %d attempts in 200 ms of patience", owner, len(ops))
		}
		for _, o := range ops {
			if o.F != lockops.Acquire || o.Code != maelstrom.LockHeld || o.Intended != ops[0].Intended {
				t.Fatalf("%s: %s code %d intended %d (first %d)", owner, o.F, o.Code, o.Intended, ops[0].Intended)
			}
		}
		last := ops[len(ops)-1]
		if d := time.Duration(last.Complete - ops[0].Intended); d < cfg.Patience || d > 2*cfg.Patience {
			t.Fatalf("%s gave up after %v, patience %v", owner, d, cfg.Patience)
		}
	}
}

// Unanswered: ask again as the same owner until an answer comes.
func TestNoAnswerAsksAgainAsTheSameOwner(t *testing.T) {
	cfg := lock.DefaultConfig()
	cfg.Locks = 1
	h, _ := run(t, &server{mute: 2}, cfg, 10, 1, 300*time.Millisecond)
	byOwner := parse(t, h)
	if got := fs(byOwner["a1"]); got != "acquire? acquire? acquire read write release" {
		t.Fatalf("a1: %s", got)
	}
}

// A lease the client finds run out by its own clock: no access, a release.
func TestExpiredLeaseSkipsTheCriticalSection(t *testing.T) {
	cfg := lock.DefaultConfig()
	cfg.Locks, cfg.TTL = 1, 20*time.Millisecond
	// The grant arrives 30 ms after the request: 10 ms past the lease.
	h, _ := run(t, &server{leaseMS: 20, delay: 30 * time.Millisecond}, cfg, 2, 1, time.Second)
	for owner, ops := range parse(t, h) {
		if got := fs(ops); got != "acquire release" {
			t.Fatalf("%s: %s", owner, got)
		}
	}
	// Granted in time, it goes through.
	h, _ = run(t, &server{leaseMS: 20, delay: 2 * time.Millisecond}, cfg, 2, 1, time.Second)
	for owner, ops := range parse(t, h) {
		if got := fs(ops); got != "acquire read write release" {
			t.Fatalf("%s: %s", owner, got)
		}
	}
}

// A holder paused in its critical section does nothing until it resumes,
// and then writes without checking again: the window Kleppmann's pause
// falls in.
func TestPausedHolderWritesAfterResuming(t *testing.T) {
	cfg := lock.DefaultConfig()
	cfg.Locks = 1
	var paused string
	var resumeAt time.Duration
	h, _ := runWith(t, &server{leaseMS: 100}, cfg, 5, 2, 2*time.Second, func(s *sim.Sim, ids []string) {
		switch {
		case paused == "" && s.Now() > 500*time.Millisecond:
			for _, id := range ids {
				if s.Role(id) == lock.HolderRole {
					paused, resumeAt = id, s.Now()+time.Second
					if err := s.Pause(id); err != nil {
						t.Fatal(err)
					}
					return
				}
			}
		case paused != "" && s.Now() == resumeAt:
			if err := s.Resume(paused); err != nil {
				t.Fatal(err)
			}
		}
	})
	if paused == "" {
		t.Fatal("no holder to pause")
	}
	for _, ops := range parse(t, h) {
		if ops[0].Client != paused || len(ops) < 3 || ops[1].Complete > int64(resumeAt-time.Second) || ops[2].Invoke < int64(resumeAt-time.Second) {
			continue
		}
		if w := ops[2]; w.F != lockops.Write || w.Invoke < int64(resumeAt) {
			t.Fatalf("the paused holder's next step: %s at %v, resumed at %v", w.F, time.Duration(w.Invoke), resumeAt)
		}
		return
	}
	t.Fatalf("no critical section of %s spans the pause", paused)
}
