package pb_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/pb"
)

func TestDebugHang(t *testing.T) {
	if os.Getenv("HANG") == "" {
		t.Skip()
	}
	seed, _ := strconv.Atoi(os.Getenv("HANG"))
	strat := nodes.Strategy{Name: "pb-x", Group: "replication", New: func() nodes.Node { return pb.New(pb.Sync) }}
	c := harness.Defaults()
	c.NodeCount, c.TimeLimit, c.Rate, c.Latency, c.Seed = 5, 30*time.Second, 100, 5*time.Millisecond, int64(seed)
	c.NemesisInterval = 500 * time.Millisecond
	c.OpTimeout = time.Second
	c.Nemesis = []string{os.Getenv("NEM")}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	last := time.Duration(0)
	out, err := harness.SimulateWith(ctx, c, strat, func(p harness.Progress) {
		if p.Now-last >= time.Second {
			t.Logf("progress %v completed %d", p.Now, p.Completed)
			last = p.Now
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("interrupted %v at %v msgs %+v", out.Interrupted, out.Duration, out.Messages)
	for _, f := range out.Faults {
		t.Logf("fault %+v", f)
	}
	for _, id := range []string{"n0", "n1", "n2", "n3", "n4"} {
		l := out.Logs[id]
		if len(l) > 3000 {
			l = l[len(l)-3000:]
		}
		t.Logf("--- %s\n%s", id, l)
	}
}
