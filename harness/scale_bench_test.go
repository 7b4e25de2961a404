package harness

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/nodes/catalog"
)

// benchRun simulates cfg once per iteration and reports simulated messages
// per wall-clock second (the simulator runs on one goroutine, so this is
// per core), the same per second of CPU time the process used (which a
// shared, loaded machine does not inflate; it includes the garbage
// collector's work on other cores), and virtual seconds per wall second.
func benchRun(b *testing.B, cfg Config) *Outcome {
	b.Helper()
	var out *Outcome
	var msgs int64
	var cpu time.Duration
	for b.Loop() {
		before := cpuTime()
		var err error
		if out, err = Simulate(context.Background(), cfg, nil); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - before
		msgs += out.Messages.Total()
		b.ReportMetric(out.Duration.Seconds()/out.Wall.Seconds(), "virtual-s/wall-s")
	}
	b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(msgs)/cpu.Seconds(), "msgs/cpu-s")
	return out
}

// cpuTime is the user and system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProtocols is simulator throughput on real protocols: raft,
// quorum and chain at 5, 25 and 100 nodes, 10 virtual seconds at 200 ops/s
// with 5 ms exponential latency. The figure to watch is raft at 25 nodes.
func BenchmarkProtocols(b *testing.B) {
	for _, node := range []string{"raft", "quorum", "chain"} {
		for _, n := range []int{5, 25, 100} {
			b.Run(fmt.Sprintf("%s/%d", node, n), func(b *testing.B) {
				c := Defaults()
				c.Strategy, _ = catalog.Lookup(node)
				c.NodeCount, c.TimeLimit, c.Rate, c.Seed = n, 10*time.Second, 200, 1
				c.Latency, c.LatencyDist = 5*time.Millisecond, "exponential"
				benchRun(b, c)
			})
		}
	}
}

// BenchmarkThousandNodes runs 1,000-node clusters for 60 virtual seconds
// at 100 ops/s: raft on the register workload, and gossip (eager reliable
// broadcast) on Maelstrom's broadcast workload over a grid.
func BenchmarkThousandNodes(b *testing.B) {
	for _, node := range []string{"raft", "gossip"} {
		b.Run(node, func(b *testing.B) {
			c := Defaults()
			c.Strategy, _ = catalog.Lookup(node)
			c.NodeCount, c.TimeLimit, c.Rate, c.Seed = 1000, 60*time.Second, 100, 1
			c.Latency = 5 * time.Millisecond
			benchRun(b, c)
		})
	}
}

// BenchmarkLargeClusterChecked is what a user waits for at 25 and 100
// nodes: `ddbbench run --node raft --node-count N --time-limit 30 --rate
// 200 --seed 1`, simulated and checked.
func BenchmarkLargeClusterChecked(b *testing.B) {
	for _, n := range []int{25, 100} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			c := Defaults()
			c.Strategy, _ = catalog.Lookup("raft")
			c.NodeCount, c.TimeLimit, c.Rate, c.Seed = n, 30*time.Second, 200, 1
			c.Latency = 5 * time.Millisecond
			for b.Loop() {
				out, err := Simulate(context.Background(), c, nil)
				if err != nil {
					b.Fatal(err)
				}
				if v := Check(out).Results.Valid; v == checkers.Unknown {
					b.Fatalf("%d nodes: the check gave up (unknown)", n)
				}
			}
		})
	}
}
