package pb_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/pb"
)

// TestExplore measures how often the harness catches each variant under each
// fault, for the figures in the documentation. It runs only when asked:
//
//	EXPLORE=none,kill,partition MODE=sync|async|rr [SEEDS=10] [OPTIMEOUT=1s]
//	[INTERVAL=3s] [DIST=exponential] [KEYS=1] [MIX=r:w:c] [RATE=100]
//	[LOSE=1] [LOGS=1|all] go test -run Explore -v
func TestExplore(t *testing.T) {
	nems := os.Getenv("EXPLORE")
	if nems == "" {
		t.Skip("set EXPLORE=nemesis,... and MODE=sync|async|rr")
	}
	mode := map[string]pb.Mode{"sync": pb.Sync, "async": pb.Async, "rr": pb.ReadReplica}[os.Getenv("MODE")]
	seeds := 10
	if s := os.Getenv("SEEDS"); s != "" {
		seeds, _ = strconv.Atoi(s)
	}
	strat := nodes.Strategy{Name: "pb-x", Group: "replication", New: func() nodes.Node { return pb.New(mode) }}
	for _, nem := range strings.Split(nems, ",") {
		caught := []int64{}
		for seed := int64(1); seed <= int64(seeds); seed++ {
			c := harness.Defaults()
			c.NodeCount, c.TimeLimit, c.Rate, c.Latency, c.Seed = 5, 30*time.Second, 100, 5*time.Millisecond, seed
			if d := os.Getenv("DIST"); d != "" {
				c.LatencyDist = d
			}
			c.NemesisInterval = 3 * time.Second
			c.CheckTimeout = 20 * time.Second
			if s := os.Getenv("INTERVAL"); s != "" {
				c.NemesisInterval, _ = time.ParseDuration(s)
			}
			if s := os.Getenv("OPTIMEOUT"); s != "" {
				c.OpTimeout, _ = time.ParseDuration(s)
			}
			if s := os.Getenv("KEYS"); s != "" {
				c.Register.Keys, _ = strconv.Atoi(s)
			}
			if s := os.Getenv("MIX"); s != "" {
				var r, w, cs int
				fmt.Sscanf(s, "%d:%d:%d", &r, &w, &cs)
				c.Register.Reads, c.Register.Writes, c.Register.CASes = r, w, cs
			}
			if s := os.Getenv("RATE"); s != "" {
				c.Rate, _ = strconv.ParseFloat(s, 64)
			}
			c.LoseUnsynced = os.Getenv("LOSE") != ""
			if nem != "none" {
				c.Nemesis = []string{nem}
			}
			start := time.Now()
			out, err := harness.SimulateWith(context.Background(), c, strat, nil)
			if err != nil {
				t.Fatal(err)
			}
			run := harness.Check(out)
			r := run.Results
			if r.Valid == checkers.Invalid {
				caught = append(caught, seed)
			}
			t.Logf("%s seed %d: %v avail %.3f p50 %.1f p99 %.1f msgs/op %.2f srv/op %.2f ops %d wall %v", nem, seed, r.Valid, r.AvailabilityOrZero(), r.Latency.Overall.P50, r.Latency.Overall.P99, r.Messages.PerOp, r.Messages.ServerPerOp, len(out.History), time.Since(start).Round(time.Millisecond))
			if os.Getenv("LOGS") != "" && (r.Valid != checkers.Valid || os.Getenv("LOGS") == "all") {
				for _, ch := range r.Checks {
					t.Logf("  %s: %v %s", ch.Checker, ch.Valid, ch.Summary)
				}
				for _, f := range out.Faults {
					t.Logf("  fault %+v", f)
				}
				if os.Getenv("LOGS") == "all" {
					for id, l := range out.Logs {
						if strings.HasPrefix(id, "n") {
							t.Logf("--- %s\n%s", id, l)
						}
					}
				}
			}
		}
		t.Logf("%s: caught %d/%d %v", nem, len(caught), seeds, caught)
	}
}
