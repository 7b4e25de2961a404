package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// The Gossip Glomers challenges 6a-6c (fly.io/dist-sys/6a, 6b, 6c), with
// the command lines fly.io publishes, "maelstrom test" replaced by
// "ddbbench test" and ddbbench's own reference nodes as the binary
// ("--bin <ddbbench> node txn-local"). Each line runs twice: as real
// processes with a 3 s time limit (and faults every second, so that the
// partitions of 6b and 6c happen within it), and in the simulator, as
// "ddbbench run --node", for the full 20 s.
var glomers = []struct {
	name, line string
}{
	{"6a", "-w txn-rw-register --node-count 1 --time-limit 20 --rate 1000 --concurrency 2n --consistency-models read-uncommitted --availability total"},
	{"6b", "-w txn-rw-register --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted"},
	{"6b-partition", "-w txn-rw-register --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted --availability total --nemesis partition"},
	{"6c", "-w txn-rw-register --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-committed --availability total --nemesis partition"},
}

// glomersArgs is a challenge's line for a reference node: as processes
// (ddbbench test, shortened) or in the simulator (ddbbench run, with
// Maelstrom's zero latency so that both mean the same network).
func glomersArgs(t *testing.T, line, node, store string, proc bool, models string) []string {
	args := strings.Fields(line)
	if models != "" {
		for i, a := range args {
			if a == "--consistency-models" {
				args[i+1] = models
			}
		}
	}
	if proc {
		for i, a := range args {
			if a == "--time-limit" {
				args[i+1] = "3"
			}
		}
		args = append([]string{"test"}, args...)
		// A fixed seed fixes the nemesis's choices: seed 1 partitions the
		// two nodes in its first fault (some shapes cut nothing between two).
		args = append(args, "--nemesis-interval", "1", "--recovery", "2", "--seed", "1", "--bin", ddbbench(t), "node", node)
	} else {
		args = append([]string{"run", "--node", node, "--latency", "0", "--seed", "1"}, args...)
	}
	return append(args, "--store", store, "-q")
}

// elleCheck returns results.json's elle check.
func elleCheck(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	checks, _ := res["checks"].([]any)
	for _, c := range checks {
		if c, _ := c.(map[string]any); c["checker"] == "elle" {
			return c
		}
	}
	t.Fatalf("no elle check in results.json: %v", checks)
	return nil
}

func okCount(res map[string]any) float64 {
	stats, _ := res["stats"].(map[string]any)
	total, _ := stats["total"].(map[string]any)
	ok, _ := total["ok"].(float64)
	return ok
}

// txn-local is what the challenges ask for: totally available, read
// uncommitted (6a, 6b) and read committed (6c). Elle accepts it under each.
func TestGossipGlomersTxnLocalPasses(t *testing.T) {
	for _, g := range glomers {
		for _, proc := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/proc=%v", g.name, proc), func(t *testing.T) {
				t.Parallel()
				store := t.TempDir()
				r := cli(t, glomersArgs(t, g.line, "txn-local", store, proc, "")...)
				if r.code != 0 || !strings.HasPrefix(r.stdout, "VALID") {
					t.Fatalf("exit %d, want 0 (valid)", r.code)
				}
				res := latestResults(t, store)
				if c := elleCheck(t, res); c["valid"] != "true" {
					t.Errorf("elle: %v", c)
				}
				min := 15000.0 // 20 s at 1000 a second
				if proc {
					min = 500 // 3 s, on a machine that may be busy
				}
				if okCount(res) < min {
					t.Errorf("only %v transactions ok, want at least %v", okCount(res), min)
				}
				if faults, _ := res["faults"].([]any); strings.Contains(g.line, "partition") && len(faults) == 0 {
					t.Errorf("no partition was injected")
				}
			})
		}
	}
}

// The same command lines, asking for serializability instead: txn-local
// cannot give it, and Elle names the anomaly.
func TestGossipGlomersTxnLocalNotSerializable(t *testing.T) {
	for _, proc := range []bool{true, false} {
		t.Run(fmt.Sprintf("proc=%v", proc), func(t *testing.T) {
			t.Parallel()
			store := t.TempDir()
			r := cli(t, glomersArgs(t, glomers[1].line, "txn-local", store, proc, "serializable")...)
			if r.code != 1 || !strings.HasPrefix(r.stdout, "INVALID") {
				t.Fatalf("exit %d, want 1 (invalid)", r.code)
			}
			c := elleCheck(t, latestResults(t, store))
			summary, _ := c["summary"].(string)
			if c["valid"] != "false" || !strings.Contains(summary, "violates serializable") {
				t.Fatalf("elle: %v", c)
			}
			named := false
			for _, a := range []string{"G2-item", "G-single", "G-nonadjacent", "lost-update"} {
				named = named || strings.Contains(summary, a)
			}
			if !named {
				t.Errorf("no serializability anomaly named in %q", summary)
			}
		})
	}
}

// txn-single is strict serializable, so it passes the lines of 6a and 6b
// and strict-serializable as well; but it is not totally available, which
// the partitioned lines catch.
func TestGossipGlomersTxnSingle(t *testing.T) {
	cases := []struct {
		name, line, models string
		valid              bool
	}{
		{"6a", glomers[0].line, "", true},
		{"6b-strict", glomers[1].line, "strict-serializable", true},
		{"6c", glomers[3].line, "", false},
	}
	for _, c := range cases {
		for _, proc := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/proc=%v", c.name, proc), func(t *testing.T) {
				t.Parallel()
				store := t.TempDir()
				r := cli(t, glomersArgs(t, c.line, "txn-single", store, proc, c.models)...)
				res := latestResults(t, store)
				if e := elleCheck(t, res); e["valid"] != "true" {
					t.Fatalf("elle: %v", e)
				}
				if c.valid && r.code != 0 {
					t.Fatalf("exit %d, want 0 (valid)", r.code)
				}
				if !c.valid && (r.code != 1 || !strings.Contains(r.stdout, "total availability")) {
					t.Fatalf("exit %d, want 1: the availability check must fail under partitions", r.code)
				}
			})
		}
	}
}

// Maelstrom's Datomic tutorial runs its transactor with
//
//	maelstrom test -w txn-list-append --bin datomic.rb --time-limit 10 --node-count 2 --rate 100
//
// txn-datomic is strict serializable, the default model.
func TestDatomicTutorialLine(t *testing.T) {
	t.Parallel()
	store := t.TempDir()
	r := cli(t, "test", "-w", "txn-list-append", "--bin", ddbbench(t), "node", "txn-datomic",
		"--time-limit", "3", "--node-count", "2", "--rate", "100", "--recovery", "2", "--store", store, "-q")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 (valid)", r.code)
	}
	res := latestResults(t, store)
	if c := elleCheck(t, res); c["valid"] != "true" || !strings.Contains(fmt.Sprint(c["summary"]), "strict-serializable") {
		t.Fatalf("elle: %v", c)
	}
	if okCount(res) < 100 {
		t.Fatalf("only %v transactions ok", okCount(res))
	}
}

// A transactional node run without -w runs the workload it serves, and
// its results are judged by Elle.
func TestRunServedTxnWorkload(t *testing.T) {
	for node, workload := range map[string]string{"txn-single": "txn-list-append", "txn-local": "txn-rw-register", "txn-datomic": "txn-list-append"} {
		t.Run(node, func(t *testing.T) {
			t.Parallel()
			store := t.TempDir()
			r := cli(t, "run", "--node", node, "--time-limit", "5", "--rate", "50", "--seed", "3", "--store", store, "-q")
			res := latestResults(t, store)
			cfg, _ := res["config"].(map[string]any)
			if cfg["workload"] != workload {
				t.Fatalf("workload %v, want %s", cfg["workload"], workload)
			}
			c := elleCheck(t, res)
			wantValid := node != "txn-local"
			if (c["valid"] == "true") != wantValid || (r.code == 0) != wantValid {
				t.Fatalf("exit %d, elle %v: want valid %v under strict-serializable", r.code, c["valid"], wantValid)
			}
		})
	}
}

// ddbbench list names the transactional workloads and nodes.
func TestListShowsTransactions(t *testing.T) {
	r := cli(t, "list")
	for _, want := range []string{"txn-list-append", "txn-rw-register", "--consistency-models", "txn-single", "txn-local", "txn-datomic", "transactions"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("ddbbench list does not mention %s", want)
		}
	}
}
