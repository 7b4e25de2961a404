package pbasync

import (
	"math"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes/replication/pb/internal/pbtest"
	"github.com/ddbbench/ddbbench/workloads/register"
)

func TestExpectations(t *testing.T) {
	pbtest.RequireExpectations(t, Strategy(), "none", "clock")
}

func TestValidWithoutFaults(t *testing.T) {
	t.Parallel()
	pbtest.RequireValid(t, Strategy(), "none", 1, 2, 3)
}

func TestValidUnderClockSkew(t *testing.T) {
	t.Parallel()
	pbtest.RequireValid(t, Strategy(), "clock", 1, 2)
}

// The primary acknowledges before shipping: killing it loses acknowledged
// writes, which the harness must see.
func TestCaughtUnderKill(t *testing.T) {
	t.Parallel()
	pbtest.RequireCaught(t, Strategy(), "kill", 5, nil)
}

func TestCaughtUnderPartition(t *testing.T) {
	t.Parallel()
	pbtest.RequireCaught(t, Strategy(), "partition", 5, nil)
}

func TestCaughtUnderPause(t *testing.T) {
	t.Parallel()
	pbtest.RequireCaught(t, Strategy(), "pause", 5, func(c *harness.Config) { c.OpTimeout = time.Second })
}

// A write at the primary is acknowledged at once, yet still costs 2(n-1)
// messages: the backups get it later.
func TestWriteAtThePrimaryIsImmediate(t *testing.T) {
	t.Parallel()
	const n = 5
	count := pbtest.Counter{}
	c := pbtest.Config("none", 1)
	c.NodeCount, c.Concurrency, c.Rate, c.Register = n, 1, 50, register.Config{Keys: 10, Writes: 1}
	out, run := pbtest.Run(t, pbtest.Counting(Strategy(), count), c)
	r := run.Results
	if r.Valid != checkers.Valid {
		t.Fatalf("%v", r.Valid)
	}
	if l := r.Latency.Overall; l.P99 != 0 {
		t.Errorf("writes at the primary: p99 %.1f ms, want 0 (acknowledged before replication)", l.P99)
	}
	if got := float64(count["pb_update"]+count["pb_ack"]) / float64(len(out.History)); math.Abs(got-2*(n-1)) > 1e-9 {
		t.Errorf("%.3f update and ack messages per write, want %d", got, 2*(n-1))
	}
}
