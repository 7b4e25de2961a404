//go:build linux

package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// make hostile runs this a hundred times over; CI runs each case once.
var hostileRuns = flag.Int("hostile-runs", 0, "runs of hostile nodes in TestHostileNodesLeaveNoProcess (default: each case once)")

// hostileNodes are node programs that start processes a well-behaved node
// would not, around a Go echo node ($NODE, which starts in milliseconds). Each is a ddbbench command line's
// tail; exit is the exit code it must give (-1: any verdict, 0 to 2).
var hostileNodes = []struct {
	name   string
	script string
	flags  []string
	exit   int
	says   string // in the summary
}{
	{"setsid grandchild", `setsid sleep 1000 & exec "$NODE"`, nil, 0, "VALID"},
	{"double-forked daemon", `(setsid sh -c 'sleep 1000 &' &) ; exec "$NODE"`, nil, 0, "VALID"},
	{"grandchild ignoring signals", `setsid sh -c 'trap "" HUP INT TERM; while :; do sleep 1; done' & exec "$NODE"`, nil, 0, "VALID"},
	{"grandchild that keeps forking", `setsid sh -c 'while :; do sleep 1000 & sleep 0.01; done' & exec "$NODE"`, nil, 0, "VALID"},
	{"forks a detached node and exits", `setsid "$NODE" & exit 0`, nil, 255, "exited on its own"},
	{"forks a node in its group and exits", `"$NODE" & exit 0`, nil, 255, "exited on its own"},
	{"floods stderr", `yes "flooding stderr" >&2 & setsid sleep 1000 & exec "$NODE"`,
		[]string{"--node-log-limit", "64KiB"}, 0, "node log      n0 cut:"},
	{"killed mid-run with a setsid grandchild", `setsid sleep 1000 & exec "$NODE"`,
		// Echoes to a killed node time out, which Maelstrom's echo checker
		// calls invalid: the verdict depends on the timing of the kills.
		[]string{"--nemesis", "kill", "--nemesis-interval", "0.3", "--time-limit", "1.5", "--rate", "50", "--op-timeout", "0.5"}, -1, "faults"},
}

// Hostile node programs: whatever they start, in their own session, in a
// loop, ignoring signals, nothing outlives the ddbbench run that started
// it. Every process of a run carries the run's own mark in its environment
// (ddbbench's environment is inherited), so the test finds any survivor.
func TestHostileNodesLeaveNoProcess(t *testing.T) {
	node := buildGoNode(t, "echo")
	runs := *hostileRuns
	if runs <= 0 {
		runs = len(hostileNodes)
	}
	bin := ddbbench(t)
	for i := range runs {
		h := hostileNodes[i%len(hostileNodes)]
		t.Run(fmt.Sprintf("%d %s", i, h.name), func(t *testing.T) {
			t.Parallel()
			mark := fmt.Sprintf("DDBBENCH_HOSTILE_TEST=%d-%d", os.Getpid(), i)
			// Enough load that a second of it is never empty; a seed per run.
			args := append([]string{"test", "-w", "echo", "--node-count", "2", "--time-limit", "1", "--rate", "50", "--seed", strconv.Itoa(i + 1),
				"--store", t.TempDir(), "-q", "--init-timeout", "2m"}, h.flags...)
			args = append(args, "--bin", "/bin/sh", "--", "-c", h.script)
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), mark, "NODE="+node)
			r := runCmd(t, cmd)
			exitOK := r.code == h.exit || h.exit == -1 && r.code >= 0 && r.code <= 2
			if !exitOK || !strings.Contains(r.stdout+r.stderr, h.says) {
				t.Errorf("exit %d (want %d), output does not say %q:\n%s%s", r.code, h.exit, h.says, r.stdout, r.stderr)
			}
			if left := withMark(mark, false); len(left) > 0 {
				for len(withMark(mark, true)) > 0 { // ours to clean up, forkers too
				}
				t.Fatalf("processes left after ddbbench exited:\n%s", strings.Join(left, "\n"))
			}
		})
	}
}

// withMark describes the processes whose environment holds mark, and
// SIGKILLs them with kill.
func withMark(mark string, kill bool) []string {
	var left []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range procs {
		env, err := os.ReadFile(filepath.Join(dir, "environ"))
		if err != nil || !bytes.Contains(env, []byte("\x00"+mark+"\x00")) && !bytes.HasPrefix(env, []byte(mark+"\x00")) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join(dir, "stat"))
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		pid, _ := strconv.Atoi(filepath.Base(dir))
		left = append(left, fmt.Sprintf("  pid %d: %s (%s)", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}), bytes.TrimSpace(stat)))
		if kill {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return left
}

// What the documentation says remains after ddbbench itself is killed with
// SIGKILL, when it cannot clean up: its node processes die too (the kernel
// sends them PR_SET_PDEATHSIG's SIGKILL), and what a node started in
// another session survives, carrying DDBBENCH_NODE in its environment.
func TestSIGKILLedHarness(t *testing.T) {
	node := buildGoNode(t, "echo")
	mark := fmt.Sprintf("DDBBENCH_HOSTILE_TEST=%d-sigkill", os.Getpid())
	cmd := exec.Command(ddbbench(t), "test", "-w", "echo", "--node-count", "2", "--time-limit", "600", "--store", t.TempDir(), "-q",
		"--init-timeout", "2m", "--bin", "/bin/sh", "--", "-c", `setsid sleep 1000 & exec "$NODE"`)
	cmd.Env = append(os.Environ(), mark, "NODE="+node)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for len(withMark(mark, true)) > 0 {
		}
	}()
	// Wait for both nodes and both grandchildren.
	// processes counts the marked processes running the command line.
	processes := func(command string) (n int) {
		for _, p := range withMark(mark, false) {
			if _, cmdline, _ := strings.Cut(p, ": "); strings.HasPrefix(cmdline, command) {
				n++
			}
		}
		return n
	}
	eventually(t, func() bool { return processes(node) == 2 && processes("sleep 1000") == 2 }, "the nodes and their grandchildren never all ran")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// The kernel's SIGKILL is on its way.
	eventually(t, func() bool { return processes(node) == 0 }, "node processes outlived the SIGKILLed harness")
	if n := processes("sleep 1000"); n != 2 {
		t.Fatalf("%d of the 2 grandchildren in their own sessions survived; the documentation says they do", n)
	}
	for _, p := range withMark(mark, false) {
		if _, cmdline, _ := strings.Cut(p, ": "); !strings.HasPrefix(cmdline, "sleep 1000") {
			t.Errorf("left after a SIGKILL, but not documented: %s", p)
		}
	}
}

// eventually waits for cond, failing the test after a generous while (a
// hang guard: nothing here measures speed).
func eventually(t *testing.T, cond func() bool, failure string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(failure)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
