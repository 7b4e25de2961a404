package pbsync

import (
	"math"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes/replication/pb"
	"github.com/ddbbench/ddbbench/nodes/replication/pb/internal/pbtest"
	"github.com/ddbbench/ddbbench/workloads/register"
)

func TestExpectations(t *testing.T) {
	pbtest.RequireExpectations(t, Strategy(), "none", "kill", "clock")
}

func TestValidWithoutFaults(t *testing.T) {
	t.Parallel()
	pbtest.RequireValid(t, Strategy(), "none", 1, 2, 3)
}

// Under kill, primaries and backups crash and restart, all at once too; an
// acknowledged write must survive every failover.
func TestValidUnderKill(t *testing.T) {
	t.Parallel()
	pbtest.RequireValid(t, Strategy(), "kill", 1, 2, 3)
}

func TestValidUnderClockSkew(t *testing.T) {
	t.Parallel()
	pbtest.RequireValid(t, Strategy(), "clock", 1, 2)
}

// A partition gives two primaries; the harness must see it.
func TestCaughtUnderPartition(t *testing.T) {
	t.Parallel()
	pbtest.RequireCaught(t, Strategy(), "partition", 5, nil)
}

// A resumed primary answers from its stale copy. Only requests sent to it
// after the takeover can show that, so clients must give up on the ones
// sent before (op timeout shorter than the pause).
func TestCaughtUnderPause(t *testing.T) {
	t.Parallel()
	pbtest.RequireCaught(t, Strategy(), "pause", 5, func(c *harness.Config) { c.OpTimeout = time.Second })
}

// With one client, attached to the primary n0: a write costs 2(n-1) server
// messages (an update to each backup and its acknowledgement) and one round
// trip; a read costs no message and no time.
func TestMessagesAndLatencyAtThePrimary(t *testing.T) {
	t.Parallel()
	const n = 5
	for _, tc := range []struct {
		name    string
		mix     register.Config
		perOp   float64 // update and ack messages per operation
		latency float64 // ms
	}{
		{"write", register.Config{Keys: 10, Writes: 1}, 2 * (n - 1), 10},
		{"read", register.Config{Keys: 10, Reads: 1}, 0, 0},
	} {
		count := pbtest.Counter{}
		c := pbtest.Config("none", 1)
		c.NodeCount, c.Concurrency, c.Rate, c.Register = n, 1, 50, tc.mix
		out, run := pbtest.Run(t, pbtest.Counting(Strategy(), count), c)
		r := run.Results
		if v := pbtest.Linearizable(run); v != checkers.Valid || r.AvailabilityOrZero() != 1 {
			t.Fatalf("%s: %v, availability %v", tc.name, v, r.AvailabilityOrZero())
		}
		ops := len(out.History)
		if got := float64(count["pb_update"]+count["pb_ack"]) / float64(ops); got != tc.perOp {
			t.Errorf("%s at the primary: %.3f update and ack messages per op, want %.0f", tc.name, got, tc.perOp)
		}
		if count["pb_fwd"] != 0 {
			t.Errorf("%s at the primary: %d forwards", tc.name, count["pb_fwd"])
		}
		// Everything else between servers is heartbeats: at most one each
		// way between the primary and each backup per tick.
		heartbeats := out.Messages.ServerServer - int64(count["pb_update"]+count["pb_ack"])
		if limit := int64(2 * (n - 1) * (out.Duration / pb.Tick)); heartbeats != int64(count["pb_hb"]) || heartbeats > limit {
			t.Errorf("%s: %d other server messages, %d heartbeats, limit %d", tc.name, heartbeats, count["pb_hb"], limit)
		}
		// Latency is measured from the intended start, so a write that
		// arrives while the client is busy also waits: look at p50.
		if l := r.Latency.Overall; math.Abs(l.P50-tc.latency) > 0.5 {
			t.Errorf("%s at the primary: latency p50 %.1f ms, want %.0f", tc.name, l.P50, tc.latency)
		}
		t.Logf("%s at the primary: %.2f update+ack msgs/op, %.2f server msgs/op with heartbeats, p50 %.1f ms, p99 %.1f ms",
			tc.name, float64(count["pb_update"]+count["pb_ack"])/float64(ops), r.Messages.ServerPerOp, r.Latency.Overall.P50, r.Latency.Overall.P99)
	}
}

// With clients on every node, four requests in five are forwarded to the
// primary: a write costs 2(n-1) + 2(n-1)/n server messages and, when
// forwarded, two round trips; a read 2(n-1)/n and one round trip.
func TestMessagesWithForwarding(t *testing.T) {
	t.Parallel()
	const n = 5
	for _, tc := range []struct {
		name    string
		mix     register.Config
		perOp   float64
		latency float64
	}{
		{"write", register.Config{Keys: 10, Writes: 1}, 2*(n-1) + 2.0*(n-1)/n, 20},
		{"read", register.Config{Keys: 10, Reads: 1}, 2.0 * (n - 1) / n, 10},
	} {
		count := pbtest.Counter{}
		c := pbtest.Config("none", 1)
		c.Register = tc.mix
		out, run := pbtest.Run(t, pbtest.Counting(Strategy(), count), c)
		r := run.Results
		ops := float64(len(out.History))
		// Forwarded replies are counted with the clients' (write_ok,
		// read_ok), so count forwards twice: request and reply.
		got := float64(count["pb_update"]+count["pb_ack"]+2*count["pb_fwd"]) / ops
		if math.Abs(got-tc.perOp) > 0.1 {
			t.Errorf("%s from every node: %.2f protocol messages per op, want about %.1f", tc.name, got, tc.perOp)
		}
		if l := r.Latency.Overall; math.Abs(l.P50-tc.latency) > 0.5 {
			t.Errorf("%s from every node: p50 %.1f ms, want %.0f", tc.name, l.P50, tc.latency)
		}
		t.Logf("%s from every node: %.2f protocol msgs/op, %.2f server msgs/op with heartbeats, p50 %.1f ms, p99 %.1f ms",
			tc.name, got, r.Messages.ServerPerOp, r.Latency.Overall.P50, r.Latency.Overall.P99)
	}
}

func TestSameSeedSameHistory(t *testing.T) {
	t.Parallel()
	a, _ := pbtest.Run(t, Strategy(), pbtest.Config("kill", 4))
	b, _ := pbtest.Run(t, Strategy(), pbtest.Config("kill", 4))
	if a.History.Digest() != b.History.Digest() {
		t.Fatal("same seed, different histories: something leaks nondeterminism")
	}
}
