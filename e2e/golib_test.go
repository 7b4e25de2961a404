package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
)

// buildGoNode compiles one of the maelstrom package's example nodes, which
// are written against the Maelstrom-compatible Go library.
func buildGoNode(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, "./maelstrom/testdata/"+name)
	cmd.Dir = moduleDir(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, out)
	}
	return bin
}

func moduleDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Skipf("no go command to build the Go nodes: %v", err)
	}
	return string(out[:len(out)-1])
}

// Go nodes written against the maelstrom library (its API is Maelstrom's Go
// library's) pass under --bin: echo, and a g-counter built on seq-kv with
// compare-and-swap, under partitions.
func TestGoLibraryNodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		workload, node string
		nodes          int
		nemesis        []string
	}{
		{"echo", "echo", 2, nil},
		{"g-counter", "counter", 3, []string{"partition"}},
	} {
		cfg := config(t, tc.workload, "echo.py", tc.nodes, 4*time.Second)
		cfg.Bin = []string{buildGoNode(t, tc.node)}
		cfg.Rate, cfg.Nemesis = 50, tc.nemesis
		r := run(t, cfg)
		if r.Valid != checkers.Valid {
			t.Errorf("%s with the Go %s node: %v: %+v", tc.workload, tc.node, r.Valid, r.Checks)
		}
		if r.Stats.Total.OK < 50 {
			t.Errorf("%s: only %d ok ops", tc.workload, r.Stats.Total.OK)
		}
	}
}
