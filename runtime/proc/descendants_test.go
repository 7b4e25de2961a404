//go:build linux

package proc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// hostile wraps the test node in a shell that first does something a
// well-behaved node would not. Each grandchild writes its pid to a file
// named *.pid in the node's directory (whole, by a rename, so that a
// reader never sees it half written).
var hostile = []struct {
	name   string
	prefix string
}{
	{"setsid grandchild", `setsid sh -c 'echo $$ > gc.tmp; mv gc.tmp gc.pid; exec sleep 1000' &`},
	{"double fork, orphaned at once", `(setsid sh -c 'echo $$ > gc.tmp; mv gc.tmp gc.pid; exec sleep 1000' &) ;`},
	{"grandchild ignoring signals", `setsid sh -c 'trap "" HUP INT TERM; echo $$ > gc.tmp; mv gc.tmp gc.pid; while :; do sleep 1; done' &`},
	{"grandchild that keeps forking", `setsid sh -c 'echo $$ > gc.tmp; mv gc.tmp gc.pid; while :; do sleep 1000 & sleep 0.01; done' &`},
	{"grandchild in the group, holding the pipes", `sh -c 'echo $$ > gc.tmp; mv gc.tmp gc.pid; exec sleep 1000' &`},
}

// marked lists the live processes carrying mark (see TokenEnv).
func marked(mark string) []int {
	var pids []int
	for _, pid := range allPids() {
		if st, ok := readStat(pid); ok && !st.zombie && hasMark(environ(pid), []byte(TokenEnv+"="+mark)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// environ reads a process's environment, waiting out an exec in progress
// (when it reads empty for a moment).
func environ(pid int) []byte {
	for range 1000 {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil || len(b) > 0 {
			return b
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// grandchildren reads the pids the hostile prefix wrote.
func grandchildren(t *testing.T, p *Process) []int {
	t.Helper()
	var pids []int
	files, _ := filepath.Glob(filepath.Join(p.Dir(), "*.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// gone reports whether pid no longer exists, not even as a zombie: it was
// killed and reaped.
func gone(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return os.IsNotExist(err)
}

// Whatever a node started, in its own session or not, is ended and reaped
// by the time Close returns.
func TestCloseEndsEveryDescendant(t *testing.T) {
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			r := mustStart(t, options{n: 2, command: []string{"/bin/sh", "-c", h.prefix + " exec " + nodeBin}})
			var pids []int
			for _, p := range r.c.Processes() {
				r.until(patience, func() bool { return len(grandchildren(t, p)) > 0 })
				pids = append(pids, grandchildren(t, p)...)
			}
			if len(marked(r.c.mark)) < 4 {
				t.Fatalf("marked processes %v: the nodes and their grandchildren should carry the mark", marked(r.c.mark))
			}
			r.c.Close()
			for _, pid := range pids {
				if !gone(pid) {
					st, _ := readStat(pid)
					t.Errorf("grandchild %d still exists after Close (%+v)", pid, st)
				}
			}
			if left := marked(r.c.mark); len(left) > 0 {
				t.Errorf("processes of the cluster left after Close: %v", left)
			}
		})
	}
}

// A node killed mid-run (the kill nemesis) takes its descendants with it:
// the next incarnation does not share the node's directory with them.
func TestKillEndsTheNodesDescendants(t *testing.T) {
	prefix := `setsid sh -c 'echo $$ > gc.tmp; mv gc.tmp gc.pid; exec sleep 1000' &`
	r := mustStart(t, options{command: []string{"/bin/sh", "-c", prefix + " exec " + nodeBin}})
	p := r.c.Process("n0")
	r.until(patience, func() bool { return len(grandchildren(t, p)) > 0 })
	gc := grandchildren(t, p)[0]
	if err := r.s.Kill("n0"); err != nil {
		t.Fatal(err)
	}
	if !gone(gc) {
		t.Fatalf("grandchild %d survived the kill of its node", gc)
	}
	if err := os.Remove(filepath.Join(p.Dir(), "gc.pid")); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Restart("n0"); err != nil {
		t.Fatal(err)
	}
	r.until(patience, func() bool { return p.Initialized() && len(grandchildren(t, p)) > 0 })
	if left := marked(p.mark + "1/"); len(left) > 0 {
		t.Fatalf("processes of the killed incarnation left: %v", left)
	}
	if len(marked(p.mark+"2/")) < 2 {
		t.Fatalf("the new incarnation and its grandchild should carry its mark: %v", marked(p.mark+"2/"))
	}
}

// A node that forks a child to carry on and exits: the exit fails the run,
// and the child, alive or not, does not outlive Close.
func TestForkAndExitLeavesNothing(t *testing.T) {
	script := `setsid sh -c 'echo $$ > gc.tmp; mv gc.tmp gc.pid; exec ` + nodeBin + `' & exit 0`
	r, err := launch(t, options{command: []string{"/bin/sh", "-c", script}})
	p := r.c.Process("n0")
	if err == nil {
		err = r.untilErr(patience, func() bool { return false })
	}
	if err == nil || !strings.Contains(err.Error(), "exited on its own") {
		t.Fatalf("got %v, want the node's exit", err)
	}
	pids := grandchildren(t, p)
	r.c.Close()
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("the forked child %d outlived Close", pid)
		}
	}
	if left := marked(r.c.mark); len(left) > 0 {
		t.Errorf("processes left: %v", left)
	}
}

func TestSubreaperIsSet(t *testing.T) {
	mustStart(t, options{})
	const prGetChildSubreaper = 37
	var flag int32
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prGetChildSubreaper, uintptr(unsafe.Pointer(&flag)), 0); errno != 0 || flag != 1 {
		t.Fatalf("PR_GET_CHILD_SUBREAPER = %d (errno %v), want 1", flag, errno)
	}
}
