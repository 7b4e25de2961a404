package e2e

import (
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/reports/reportstest"
)

// `ddbbench run --node 2pl-wait` with no other flags deadlocks, exits 1 and
// names the cycle.
func TestCLIPlainTwoPhaseLockingDeadlocks(t *testing.T) {
	t.Parallel()
	store := reportstest.Store(t)
	r := cli(t, "run", "--node", "2pl-wait", "--seed", "1", "--store", store, "-q")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (invalid)", r.code)
	}
	if !strings.Contains(r.stdout, "liveness      invalid  deadlock since") || !strings.Contains(r.stdout, "waits for") {
		t.Fatalf("the summary does not name the deadlock:\n%s", r.stdout)
	}
	res := latestResults(t, store)
	if res["transactions"] == nil {
		t.Errorf("results.json has no transaction statistics")
	}
}

// Bank flags that make no sense are bad arguments.
func TestCLIBankFlagsAreChecked(t *testing.T) {
	t.Parallel()
	r := cli(t, "run", "--node", "2pl-wound-wait", "--keys-per-txn", "12", "--store", t.TempDir(), "-q")
	if r.code != 254 || !strings.Contains(r.stderr, "touches 2 to 8 accounts") {
		t.Fatalf("exit %d, want 254 naming the bad knob", r.code)
	}
	r = cli(t, "run", "--node", "2pl-wound-wait", "--contention", "extreme", "--store", t.TempDir(), "-q")
	if r.code != 254 || !strings.Contains(r.stderr, "low, high") {
		t.Fatalf("exit %d, want 254 naming the levels", r.code)
	}
}
