package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/catalog"
)

// Every locking strategy runs as a Maelstrom binary (ddbbench node NAME)
// under ddbbench test -w lock, the way a lock service written in any
// language is tested: real processes, the lock schema on stdin and stdout,
// the protected resource and the clients in the harness.
func TestCLILockServicesAsBinaries(t *testing.T) {
	bin := ddbbench(t)
	strategies := catalog.InGroup("locking")
	if len(strategies) < 8 {
		t.Fatalf("%d locking strategies in the catalog, want the eight of docs/locking.md", len(strategies))
	}
	for _, s := range strategies {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			store := t.TempDir()
			r := cli(t, "test", "-w", "lock", "--node-count", "3", "--time-limit", "3", "--rate", "20", "--recovery", "1",
				"--store", store, "-q", "--bin", bin, "node", s.Name)
			// Real processes on a busy machine stall for real: a strategy
			// whose safety rests on timing (unsafe under pause, by its
			// declared expectations) may be caught doing what its textbook
			// says it can. The binary must still speak the schema and be
			// judged by every lock checker.
			timingUnsafe := slices.ContainsFunc(s.Expect, func(e nodes.Expectation) bool { return e.Nemesis == "pause" && !e.Safe })
			if r.code != 0 && !(timingUnsafe && r.code == 1) {
				t.Fatalf("exit %d, want 0", r.code)
			}
			res := latestResults(t, store)
			checks, _ := res["checks"].([]any)
			seen := map[string]bool{}
			for _, c := range checks {
				c, _ := c.(map[string]any)
				name, _ := c["checker"].(string)
				seen[name] = c["valid"] == "true"
			}
			for _, want := range []string{"mutual-exclusion", "lock-service", "lock-stats"} {
				if _, ran := seen[want]; !ran || !seen[want] && !timingUnsafe {
					t.Errorf("%s: check %s missing or not valid: %v", s.Name, want, checks)
				}
			}
			if res["runtime"] != "proc" || !strings.HasSuffix(res["name"].(string), "-lock") {
				t.Errorf("results: runtime %v name %v", res["runtime"], res["name"])
			}
			cfg, _ := res["config"].(map[string]any)
			lock, _ := cfg["lock"].(map[string]any)
			if lock["fencing"] != false {
				// A binary declares nothing: fencing is off unless asked for.
				t.Errorf("config.lock.fencing = %v for a binary", lock["fencing"])
			}
		})
	}
}
