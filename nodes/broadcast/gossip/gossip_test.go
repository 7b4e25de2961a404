package gossip

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes"
)

func config(seed int64, nemesis ...string) harness.Config {
	c := harness.Defaults()
	c.Strategy = Strategy()
	c.NodeCount, c.TimeLimit, c.Rate, c.Latency, c.Seed = 5, 20*time.Second, 50, 5*time.Millisecond, seed
	c.LatencyDist, c.NemesisInterval, c.Nemesis = "exponential", 5*time.Second, nemesis
	return c
}

func check(t *testing.T, c harness.Config, s nodes.Strategy) checkers.Validity {
	t.Helper()
	out, err := harness.SimulateWith(context.Background(), c, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := harness.Check(out).Results
	t.Logf("%v: %s", c.Nemesis, r.Checks[0].Summary)
	return r.Valid
}

// Every acknowledged message reaches every node under each fault the
// literature says the protocol survives.
func TestEveryMessageArrivesUnderEachFault(t *testing.T) {
	for _, e := range Expect {
		for seed := int64(1); seed <= 2; seed++ {
			t.Run(fmt.Sprintf("%s/%d", e.Nemesis, seed), func(t *testing.T) {
				var nem []string
				if e.Nemesis != "none" {
					nem = []string{e.Nemesis}
				}
				if v := check(t, config(seed, nem...), Strategy()); v != checkers.Valid {
					t.Fatalf("verdict %s", v)
				}
			})
		}
	}
}

// Without retransmission, relays lost to a partition are never resent and
// the final reads miss acknowledged messages: the harness must catch it.
func TestWithoutRetransmissionIsCaught(t *testing.T) {
	broken := Strategy()
	broken.New = func() nodes.Node { return &Node{noRetry: true} }
	caught := 0
	for seed := int64(1); seed <= 3; seed++ {
		if check(t, config(seed, "partition"), broken) == checkers.Invalid {
			caught++
		}
	}
	if caught == 0 {
		t.Fatal("dropping unacknowledged relays under partitions went unnoticed in 3 seeds")
	}
}
