package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/reports/reportstest"
)

// The ddbbench binary, built once for every CLI test.
var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// ddbbench builds the CLI from the module root (go list -m) and returns its
// path; it skips the test without a go command.
func ddbbench(t *testing.T) string {
	t.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build ddbbench")
	}
	buildOnce.Do(func() {
		out, err := exec.Command(gocmd, "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			buildErr = err
			return
		}
		root := strings.TrimSpace(string(out))
		if buildDir, buildErr = os.MkdirTemp("", "ddbbench-e2e-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "ddbbench")
		cmd := exec.Command(gocmd, "build", "-o", buildBin, "./cmd/ddbbench")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(err.Error() + ": " + string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building ddbbench: %v", buildErr)
	}
	return buildBin
}

type cliResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// cli runs ddbbench with args in this package's directory.
func cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	if len(args) > 0 && args[0] == "test" && !slices.Contains(args, "--init-timeout") {
		// A loaded machine can take more than the default 10 s to start
		// an interpreter; only TestCLIInitTimeout is about that budget.
		args = append(args[:1:1], append([]string{"--init-timeout", "2m"}, args[1:]...)...)
	}
	r := runCmd(t, exec.Command(ddbbench(t), args...))
	t.Logf("ddbbench %s\n-> exit %d in %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
	return r
}

// runCmd runs cmd to its end and collects its output and exit code; a
// command that cannot be started fails the test.
func runCmd(t *testing.T, cmd *exec.Cmd) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("running %s: %v", cmd.Path, err)
	}
	return r
}

// latestResults reads store/latest/results.json.
func latestResults(t *testing.T, store string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(store, "latest", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// Maelstrom's own form: --bin names an executable script (a path relative
// to where ddbbench runs), and ddbbench's flags may follow it.
func TestCLIEchoValid(t *testing.T) {
	t.Parallel()
	python3(t)
	if fi, err := os.Stat("testdata/echo.py"); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("testdata/echo.py must exist and be executable: %v", err)
	}
	store := reportstest.Store(t)
	r := cli(t, "test", "-w", "echo", "--bin", "testdata/echo.py", "--node-count", "1", "--time-limit", "3", "--store", store, "-q", "--init-timeout", "2m")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	if !strings.HasPrefix(r.stdout, "VALID") {
		t.Errorf("stdout does not begin with VALID:\n%s", r.stdout)
	}
	res := latestResults(t, store)
	if res["valid"] != "true" || res["runtime"] != "proc" {
		t.Errorf("results.json: valid %v, runtime %v", res["valid"], res["runtime"])
	}
	cfg, _ := res["config"].(map[string]any)
	if bin, _ := cfg["bin"].([]any); len(bin) != 1 || bin[0] != "testdata/echo.py" {
		t.Errorf("results.json config.bin = %v, want [testdata/echo.py]", cfg["bin"])
	}
}

// A binary argument that looks like a flag needs "--" before it; ddbbench's
// own flags go before the "--", since everything after it is the binary's.
func TestCLIBugExitsInvalid(t *testing.T) {
	t.Parallel()
	py := python3(t)
	ids := script(t, "unique_ids.py")
	store := reportstest.Store(t)
	r := cli(t, "test", "-w", "unique-ids", "--time-limit", "3", "--node-count", "3", "--store", store, "-q", "--init-timeout", "2m",
		"--bin", py, "--", ids, "--bug")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (invalid)", r.code)
	}
	if !strings.HasPrefix(r.stdout, "INVALID") || !strings.Contains(r.stdout, "generated more than once") {
		t.Errorf("summary does not report duplicates:\n%s", r.stdout)
	}
	res := latestResults(t, store)
	cfg, _ := res["config"].(map[string]any)
	bin, _ := cfg["bin"].([]any)
	if !slices.Equal(bin, []any{py, ids, "--bug"}) {
		t.Errorf("results.json config.bin = %v, want [%s %s --bug]", bin, py, ids)
	}
	checks, _ := res["checks"].([]any)
	found := false
	for _, c := range checks {
		c, _ := c.(map[string]any)
		if c["checker"] != "unique-ids" {
			continue
		}
		found = true
		ev, _ := c["evidence"].(map[string]any)
		if c["valid"] != "false" || ev["duplicated_count"] == nil || ev["duplicated_count"].(float64) < 1 {
			t.Errorf("unique-ids check has no duplicates: %v", c)
		}
	}
	if !found {
		t.Errorf("no unique-ids check in results.json: %v", checks)
	}
}

// Without "--", cobra takes --bug for one of ddbbench's flags and rejects
// it as a usage error, before running anything.
func TestCLIFlagLikeBinaryArgWithoutDoubleDash(t *testing.T) {
	t.Parallel()
	py := python3(t)
	store := filepath.Join(reportstest.Store(t), "store")
	r := cli(t, "test", "-w", "unique-ids", "--time-limit", "3", "--store", store,
		"--bin", py, script(t, "unique_ids.py"), "--bug")
	if r.code != 254 {
		t.Fatalf("exit %d, want 254 (bad arguments)", r.code)
	}
	if !strings.Contains(r.stderr, "unknown flag: --bug") {
		t.Errorf("stderr does not name the unknown flag:\n%s", r.stderr)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Errorf("a rejected command line created the store %s (%v)", store, err)
	}
}

// A node that crashes mid-run: an internal error, and results.json never
// says valid, however clean the history recorded up to the crash. (It once
// wrote "valid": true beside the error.)
func TestCLINodeCrashIsNeverValid(t *testing.T) {
	t.Parallel()
	python3(t)
	store := reportstest.Store(t)
	r := cli(t, "test", "-w", "echo", "--node-count", "1", "--time-limit", "5", "--rate", "20", "--store", store, "-q",
		"--bin", "testdata/echo.py", "--", "--exit-after", "5")
	if r.code != 255 {
		t.Fatalf("exit %d, want 255", r.code)
	}
	if !strings.HasPrefix(r.stdout, "ERROR") {
		t.Errorf("summary does not begin with ERROR:\n%s", r.stdout)
	}
	res := latestResults(t, store)
	if msg, _ := res["error"].(string); !strings.Contains(msg, "exited") {
		t.Errorf("results.json error = %q, want it to say the node exited", msg)
	}
	if res["valid"] != "unknown" {
		t.Errorf("results.json valid = %v beside an error, want \"unknown\"", res["valid"])
	}
}

// A node that never answers init: an internal error naming init, well
// before the time limit, with the results still written.
func TestCLIInitTimeout(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/bin/sleep"); err != nil {
		t.Skip("no /bin/sleep")
	}
	store := reportstest.Store(t)
	r := cli(t, "test", "-w", "echo", "--bin", "/bin/sleep", "100", "--init-timeout", "1s", "--store", store, "-q")
	if r.code != 255 {
		t.Fatalf("exit %d, want 255", r.code)
	}
	if !strings.Contains(r.stderr, "init") {
		t.Errorf("stderr does not mention init:\n%s", r.stderr)
	}
	res := latestResults(t, store)
	if msg, _ := res["error"].(string); !strings.Contains(msg, "init") {
		t.Errorf("results.json error = %q, want it to mention init", msg)
	}
}

// `timeout -s INT` signals ddbbench and then its whole process group: one
// request, two signals. The run must stop and still be checked; before the
// debounce, the second signal skipped the check. The window is widened so
// that a stall between timeout's two kill calls cannot matter.
func TestCLITimeoutSignalsTwiceAndTheRunIsStillChecked(t *testing.T) {
	t.Parallel()
	timeout, err := exec.LookPath("timeout")
	if err != nil {
		t.Skip("no timeout command")
	}
	node := buildGoNode(t, "echo")
	store := reportstest.Store(t)
	cmd := exec.Command(timeout, "-s", "INT", "5", ddbbench(t), "test", "-w", "echo", "--bin", node,
		"--node-count", "1", "--time-limit", "600", "--store", store, "-q", "--interrupt-window", "10m")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Logf("-> %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 124 {
		t.Fatalf("exit %v, want 124 (timeout's, once it had to signal)", err)
	}
	if strings.Contains(stdout.String(), "skipped") {
		t.Fatalf("the check was skipped:\n%s", stdout.String())
	}
	// Whether the signals came before or after the first operations, the
	// echo checker ran and the run says it was cut short.
	for _, want := range []string{"UNKNOWN", "interrupted: results cover", "\n  echo "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary does not say %q", want)
		}
	}
}

// A suite sharded 4 ways through the CLI, each shard in its own store as
// on separate machines, merges into the unsharded suite's matrix and exit
// code, written to the store with latest.
func TestCLISuiteShardsMerge(t *testing.T) {
	dir := t.TempDir()
	args := []string{"suite", "replication", "--node", "single,pb-async,lww", "--nemesis", "none,kill", "--seeds", "2", "--hunt", "2",
		"--time-limit", "5", "--node-count", "3", "-q"}
	whole := cli(t, append(args, "--store", filepath.Join(dir, "whole"))...)
	var stores []string
	for i := range 4 {
		store := filepath.Join(dir, fmt.Sprintf("shard%d", i))
		cli(t, append(args, "--shard", fmt.Sprintf("%d/4", i), "--store", store)...)
		stores = append(stores, store)
	}
	merged := cli(t, append([]string{"suite", "merge", "--store", filepath.Join(dir, "merged")}, stores...)...)
	if merged.code != whole.code {
		t.Fatalf("merge exits %d, the unsharded suite %d", merged.code, whole.code)
	}
	read := func(store string) string {
		b, err := os.ReadFile(filepath.Join(store, "latest", "matrix.md"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		return strings.Join(lines[:len(lines)-1], "\n") // the last line has the wall time
	}
	if a, b := read(filepath.Join(dir, "merged")), read(filepath.Join(dir, "whole")); a != b {
		t.Fatalf("merged matrix:\n%s\nunsharded:\n%s", a, b)
	}
	if r := cli(t, "suite", "merge", stores[0], stores[1], stores[2]); r.code != 254 || !strings.Contains(r.stderr, "3/4") {
		t.Fatalf("merging 3 of 4 shards must name the missing one and exit 254, got %d: %s", r.code, r.stderr)
	}
}

// The suite writes matrix.json (validated against its schema when the test
// ends) and points store/latest at the finished suite.
func TestCLISuiteWritesItsMatrix(t *testing.T) {
	t.Parallel()
	store := reportstest.Store(t)
	r := cli(t, "suite", "control", "--seeds", "1", "--time-limit", "3", "--hunt", "3", "--store", store, "-q")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 (the control strategy is caught, as expected)", r.code)
	}
	b, err := os.ReadFile(filepath.Join(store, "latest", "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["format"] != 2.0 || m["disagreements"] != 0.0 {
		t.Errorf("matrix.json: format %v, disagreements %v", m["format"], m["disagreements"])
	}
}

// A node that answers every echo twice, and adds a reply to a request
// nobody made and a message that is no reply: the run is valid (every echo
// came back), and the summary and results.json count the protocol
// warnings, per kind with examples, so that a user sees them.
func TestCLIProtocolWarnings(t *testing.T) {
	t.Parallel()
	python3(t)
	store := reportstest.Store(t)
	r := cli(t, "test", "-w", "echo", "--node-count", "1", "--time-limit", "2", "--rate", "10", "--store", store, "-q",
		"--init-timeout", "2m", "--bin", "testdata/echo.py", "--", "--reply-twice", "--stray-reply")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	if !strings.Contains(r.stdout, "warnings      ") || !strings.Contains(r.stdout, "duplicate replies") ||
		!strings.Contains(r.stdout, "replies to unknown requests") || !strings.Contains(r.stdout, "unsolicited messages") {
		t.Errorf("the summary does not show the warnings:\n%s", r.stdout)
	}
	res := latestResults(t, store)
	pw, _ := res["protocol_warnings"].(map[string]any)
	byKind, _ := pw["by_kind"].(map[string]any)
	ops := res["stats"].(map[string]any)["total"].(map[string]any)["ok"].(float64)
	for _, kind := range []string{"duplicate_reply", "unknown_in_reply_to", "unsolicited"} {
		k, _ := byKind[kind].(map[string]any)
		examples, _ := k["examples"].([]any)
		if k["count"] != ops || len(examples) == 0 {
			t.Errorf("%s: %v, want %v warnings (one per echo) with examples", kind, k, ops)
		}
	}
}
