package pbreadreplica

import (
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes/replication/pb/internal/pbtest"
	"github.com/ddbbench/ddbbench/workloads/register"
)

func TestExpectations(t *testing.T) {
	pbtest.RequireExpectations(t, Strategy())
}

// oneKey puts every operation on one key, so that reads often run while a
// write to the same key is in flight: the race is there with ten keys too,
// only rarer.
func oneKey(c *harness.Config) { c.Register.Keys = 1 }

// Stale reads from backups while a write is in flight: no fault needed.
func TestCaughtWithoutFaults(t *testing.T) {
	t.Parallel()
	pbtest.RequireCaught(t, Strategy(), "none", 5, oneKey)
}

// Faults widen the window enough to be caught with the default ten keys.
// (With one key, the indefinite outcomes that faults cause make the
// linearizability check slow.) The clock nemesis changes nothing here, so
// it takes one key, as without faults.
func TestCaughtUnderFaults(t *testing.T) {
	t.Parallel()
	for _, nem := range []string{"partition", "kill", "pause", "packet"} {
		pbtest.RequireCaught(t, Strategy(), nem, 5, func(c *harness.Config) { c.OpTimeout = time.Second })
	}
	pbtest.RequireCaught(t, Strategy(), "clock", 5, oneKey)
}

// Reads are answered where they arrive: no message, no wait.
func TestReadsAreLocal(t *testing.T) {
	t.Parallel()
	count := pbtest.Counter{}
	c := pbtest.Config("none", 1)
	c.Register = register.Config{Keys: 10, Reads: 1}
	out, run := pbtest.Run(t, pbtest.Counting(Strategy(), count), c)
	r := run.Results
	if v := pbtest.Linearizable(run); v != checkers.Valid {
		t.Fatalf("%v", v)
	}
	if n := count["pb_fwd"] + count["pb_update"]; n != 0 || out.Messages.ServerServer != int64(count["pb_hb"]) {
		t.Errorf("reads sent %d protocol messages; server messages %d, heartbeats %d", n, out.Messages.ServerServer, count["pb_hb"])
	}
	if l := r.Latency.Overall; l.P99 != 0 {
		t.Errorf("reads: p99 %.1f ms, want 0", l.P99)
	}
}
