package e2e

import (
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/reports/reportstest"
)

// `ddbbench run --node 2pc` with no other flags runs txn-list-append at
// strict serializability, passes, and reports the commit figures.
func TestCLITwoPhaseCommitDefaultRun(t *testing.T) {
	t.Parallel()
	store := reportstest.Store(t)
	r := cli(t, "run", "--node", "2pc", "--seed", "1", "--time-limit", "10", "--store", store, "-q")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"2pc-txn-list-append", "atomicity     valid", "agreement     valid", "strict-serializable", "  commit  ", "  blocking  "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, r.stdout)
		}
	}
	if res := latestResults(t, store); res["commit"] == nil {
		t.Errorf("results.json has no commit figures")
	}
}

// Three-phase commit under a partition decides both ways, and the summary
// names the attempt and the nodes on each side.
func TestCLIThreePhaseCommitSplitsUnderAPartition(t *testing.T) {
	t.Parallel()
	r := cli(t, "run", "--node", "3pc", "--rate", "50", "--time-limit", "30", "--latency-dist", "exponential", "--op-timeout", "2",
		"--nemesis", "partition", "--nemesis-interval", "5", "--seed", "2", "--store", reportstest.Store(t), "-q")
	if r.code != 1 || !strings.Contains(r.stdout, "agreement     invalid") || !strings.Contains(r.stdout, "committed at") || !strings.Contains(r.stdout, "but aborted at") {
		t.Fatalf("exit %d, want 1 with the split named:\n%s", r.code, r.stdout)
	}
}

// kill-coordinator needs nodes that report their phase: a binary is a bad
// argument.
func TestCLIKillCoordinatorNeedsTheSimulator(t *testing.T) {
	t.Parallel()
	r := cli(t, "test", "-w", "echo", "--bin", "./testdata/echo.py", "--nemesis", "kill-coordinator", "--store", t.TempDir())
	if r.code != 254 || !strings.Contains(r.stderr, "kill-coordinator") {
		t.Fatalf("exit %d, want 254 naming kill-coordinator:\n%s", r.code, r.stderr)
	}
}
