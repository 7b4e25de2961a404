package lww

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
)

// TestExplore measures how often the harness catches LWW under each fault,
// for the figures in the documentation. It runs only when asked:
//
//	EXPLORE=none,clock SEEDS=10 [OPTIMEOUT=1s] [INTERVAL=3s]
//	[DIST=exponential] [KEYS=1] [MIX=r:w:c] [RATE=200] [READALL=1]
//	go test -run Explore -v
func TestExplore(t *testing.T) {
	nems := os.Getenv("EXPLORE")
	if nems == "" {
		t.Skip("set EXPLORE=nemesis,...")
	}
	seeds := 10
	if s := os.Getenv("SEEDS"); s != "" {
		seeds, _ = strconv.Atoi(s)
	}
	strat := nodes.Strategy{Name: "lww", Group: "replication", New: New}
	if os.Getenv("READALL") != "" {
		strat.New = func() nodes.Node { c := DefaultConfig(); c.R, c.W = 3, 1; return NewWith(c) }
	}
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
			if nem != "none" {
				c.Nemesis = []string{nem}
			}
			start := time.Now()
			out, err := harness.SimulateWith(context.Background(), c, strat, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := harness.Check(out).Results
			if r.Valid == checkers.Invalid {
				caught = append(caught, seed)
			}
			t.Logf("%s seed %d: %v avail %.3f p50 %.1f p99 %.1f msgs/op %.2f srv/op %.2f ops %d wall %v", nem, seed, r.Valid, r.AvailabilityOrZero(), r.Latency.Overall.P50, r.Latency.Overall.P99, r.Messages.PerOp, r.Messages.ServerPerOp, len(out.History), time.Since(start).Round(time.Millisecond))
		}
		t.Logf("%s: caught %d/%d %v", nem, len(caught), seeds, caught)
	}
}
