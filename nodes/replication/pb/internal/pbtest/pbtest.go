// Package pbtest runs the primary-backup strategies in the simulator for
// their tests.
package pbtest

import (
	"context"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/reports"
)

// Config is the tests' standard run: 5 nodes, 30 s at 100 ops/s, 5 ms
// latency, faults every 3 s, and a check budget that keeps a hard history
// from stalling the suite (past it the verdict is unknown, never valid).
func Config(nemesis string, seed int64) harness.Config {
	c := harness.Defaults()
	c.NodeCount, c.TimeLimit, c.Rate, c.Latency, c.Seed = 5, 30*time.Second, 100, 5*time.Millisecond, seed
	c.NemesisInterval = 3 * time.Second
	c.CheckTimeout = 20 * time.Second
	if nemesis != "none" {
		c.Nemesis = []string{nemesis}
	}
	return c
}

// Run simulates and checks one run.
func Run(t *testing.T, s nodes.Strategy, c harness.Config) (*harness.Outcome, *reports.Run) {
	t.Helper()
	out, err := harness.SimulateWith(context.Background(), c, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out, harness.Check(out)
}

// Linearizable is the verdict of the run's linearizability check alone.
// A read-only run of registers never written is linearizable, yet invalid
// overall: every read answered key-does-not-exist, so no read succeeded
// (Maelstrom's stats rule).
func Linearizable(run *reports.Run) checkers.Validity {
	for _, c := range run.Results.Checks {
		if c.Checker == "linearizable" {
			return c.Valid
		}
	}
	return checkers.Unknown
}

// RequireValid fails unless every seed's run is linearizable.
func RequireValid(t *testing.T, s nodes.Strategy, nemesis string, seeds ...int64) {
	t.Helper()
	for _, seed := range seeds {
		out, run := Run(t, s, Config(nemesis, seed))
		if v := run.Results.Valid; v != checkers.Valid {
			t.Errorf("%s under %s, seed %d: want valid, got %v: %+v", s.Name, nemesis, seed, v, run.Results.Checks)
		}
		if nemesis != "none" && len(out.Faults) == 0 {
			t.Errorf("%s under %s, seed %d: no fault was injected", s.Name, nemesis, seed)
		}
	}
}

// RequireCaught fails unless some seed in 1..maxSeed gives an invalid run;
// it returns that seed. mutate adjusts the standard config.
func RequireCaught(t *testing.T, s nodes.Strategy, nemesis string, maxSeed int64, mutate func(*harness.Config)) int64 {
	t.Helper()
	for seed := int64(1); seed <= maxSeed; seed++ {
		c := Config(nemesis, seed)
		if mutate != nil {
			mutate(&c)
		}
		_, run := Run(t, s, c)
		if run.Results.Valid == checkers.Invalid {
			if _, ok := run.Files["linearizability.html"]; !ok {
				t.Errorf("%s under %s, seed %d: a violation without Porcupine's visualization", s.Name, nemesis, seed)
			}
			t.Logf("%s under %s: caught with seed %d", s.Name, nemesis, seed)
			return seed
		}
	}
	t.Errorf("%s under %s: no violation caught in seeds 1-%d", s.Name, nemesis, maxSeed)
	return 0
}

// RequireExpectations checks that a strategy declares one expectation per
// fault kind, each with a reason and a reference, and that the safe ones
// are exactly safe.
func RequireExpectations(t *testing.T, s nodes.Strategy, safe ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range safe {
		want[n] = true
	}
	seen := map[string]bool{}
	for _, e := range s.Expect {
		if seen[e.Nemesis] {
			t.Errorf("%s: two expectations for %s", s.Name, e.Nemesis)
		}
		seen[e.Nemesis] = true
		if e.Reason == "" || e.Reference == "" {
			t.Errorf("%s under %s: expectation without reason or reference", s.Name, e.Nemesis)
		}
		if e.Safe != want[e.Nemesis] {
			t.Errorf("%s under %s: declared safe=%v, want %v", s.Name, e.Nemesis, e.Safe, want[e.Nemesis])
		}
	}
	for _, n := range []string{"none", "partition", "kill", "pause", "packet", "clock"} {
		if !seen[n] {
			t.Errorf("%s: no expectation for %s", s.Name, n)
		}
	}
	if s.Name == "" || s.Summary == "" || s.Group != "replication" || s.New == nil {
		t.Errorf("incomplete strategy: %+v", s)
	}
}

// Counter counts the messages nodes send, by message type (replies by their
// reply type), so that tests can tell protocol traffic from heartbeats.
type Counter map[string]int

// Counting wraps a strategy so that every node's sends are counted in c.
func Counting(s nodes.Strategy, c Counter) nodes.Strategy {
	inner := s.New
	s.New = func() nodes.Node { return &countingNode{Node: inner(), c: c} }
	return s
}

type countingNode struct {
	nodes.Node
	c Counter
}

func (n *countingNode) Init(env nodes.Env) { n.Node.Init(&countingEnv{Env: env, c: n.c}) }

type countingEnv struct {
	nodes.Env
	c Counter
}

func (e *countingEnv) Send(dest, typ string, body any) {
	e.c[typ]++
	e.Env.Send(dest, typ, body)
}

func (e *countingEnv) Reply(req maelstrom.Msg, typ string, body any) {
	e.c[typ]++
	e.Env.Reply(req, typ, body)
}

func (e *countingEnv) ReplyError(req maelstrom.Msg, code int, text string) {
	e.c["error"]++
	e.Env.ReplyError(req, code, text)
}

func (e *countingEnv) RPC(dest, typ string, body any, timeout time.Duration, cb func(maelstrom.Msg, error)) {
	e.c[typ]++
	e.Env.RPC(dest, typ, body, timeout, cb)
}
