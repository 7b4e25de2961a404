package proc

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/runtime/network"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

func TestPythonEchoNode(t *testing.T) {
	script, err := filepath.Abs("testdata/echo.py")
	if err != nil {
		t.Fatal(err)
	}
	r := mustStart(t, options{n: 2, command: []string{"python3", script}})
	for _, id := range []string{"n0", "n1"} {
		resp := r.answered(r.cl.rpc(id, "echo", map[string]any{"echo": "hi " + id}))
		if resp.Type != "echo_ok" || field(t, resp, "echo") != "hi "+id || resp.Src != id {
			t.Fatalf("got %+v", resp)
		}
	}
}

func TestRelayThroughProcessesTakesTwoLatencies(t *testing.T) {
	const latency = 30 * time.Millisecond
	r := mustStart(t, options{n: 2, net: network.Config{Latency: latency, Dist: network.Constant}})
	k := r.cl.rpc("n0", "relay", map[string]any{"to": "n1", "echo": "via n1"})
	resp := r.answered(k)
	if field(t, resp, "echo") != "via n1" {
		t.Fatalf("got %+v", resp)
	}
	// Client links have no latency; n0 -> n1 -> n0 costs two hops, at
	// least. (How much longer depends on the machine's load: no bound.)
	if rtt := k.at - k.sent; rtt < 2*latency {
		t.Fatalf("round trip took %v, less than two hops of %v", rtt, latency)
	}
	if st := r.s.Stats(); st.ServerServer != 2 || st.ClientServer != 2 {
		t.Fatalf("stats %+v, want 2 server-server and 2 client-server messages", st)
	}
}

func TestNodeThatNeverAnswersInit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		command []string
		env     bool
		want    string
	}{
		{"sleep", []string{"/bin/sleep", "100"}, false, "it wrote nothing to stderr"},
		{"ignores init", nil, true, "ignoring init"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env {
				t.Setenv("NODE_IGNORE_INIT", "1")
			}
			before := runtime.NumGoroutine()
			// Only the watchdog ends this wait: were it broken, the test
			// would hang rather than pass.
			r, err := launch(t, options{n: 2, command: tc.command, edit: func(c *Config) { c.InitTimeout = time.Second }})
			if err == nil {
				t.Fatal("Start succeeded")
			}
			mustContain(t, "error", err.Error(), "did not answer init within 1s", tc.want, "full stderr log: ")
			pids := []int{r.c.Process("n0").Pid(), r.c.Process("n1").Pid()}
			r.c.Close()
			for _, pid := range pids {
				if pid == 0 || alive(pid) {
					t.Fatalf("pid %d: still alive after Close", pid)
				}
			}
			noLeaks(t, before)
		})
	}
}

func TestGarbageOnStdoutEndsTheRun(t *testing.T) {
	r := mustStart(t, options{})
	r.cl.rpc("n0", "garbage", nil)
	err := r.untilErr(patience, func() bool { return false })
	if err == nil {
		t.Fatal("no error")
	}
	mustContain(t, "error", err.Error(), "n0 wrote to stdout", `"hello from the node, this is not JSON"`, "expected one JSON object per line")
}

func TestMessageFromAnotherSrcEndsTheRun(t *testing.T) {
	r := mustStart(t, options{})
	r.cl.rpc("n0", "impostor", nil)
	err := r.untilErr(patience, func() bool { return false })
	if err == nil {
		t.Fatal("no error")
	}
	mustContain(t, "error", err.Error(), `n0 wrote a message with src "n9"`, `{\"src\":\"n9\"`)
}

func TestNodeExitingOnItsOwnEndsTheRun(t *testing.T) {
	r := mustStart(t, options{})
	r.cl.rpc("n0", "crash", map[string]any{"code": 3})
	err := r.untilErr(patience, func() bool { return false })
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	mustContain(t, "error", msg, "n0 exited on its own (exit status 3)", "dying line 3\n", "dying line 12", r.c.Process("n0").LogPath())
	if strings.Contains(msg, "dying line 2\n") {
		t.Fatalf("the error quotes more than the last 10 lines:\n%s", msg)
	}
}

func TestExitIsCrashMarksTheNodeDown(t *testing.T) {
	r := mustStart(t, options{edit: func(c *Config) { c.ExitIsCrash = true }})
	r.cl.rpc("n0", "crash", map[string]any{"code": 1})
	r.until(patience, func() bool { return !r.s.Alive("n0") })
	if err := r.s.Restart("n0"); err != nil {
		t.Fatal(err)
	}
	r.until(patience, r.c.Process("n0").Initialized)
	if resp := r.answered(r.cl.rpc("n0", "echo", map[string]any{"echo": "back"})); field(t, resp, "echo") != "back" {
		t.Fatalf("got %+v", resp)
	}
}

func TestKillAndRestartKeepTheWorkingDirectory(t *testing.T) {
	before := runtime.NumGoroutine()
	r := mustStart(t, options{})
	p := r.c.Process("n0")
	r.answered(r.cl.rpc("n0", "write_file", map[string]any{"name": "state", "data": "survives"}))
	pid := p.Pid()
	if err := r.s.Kill("n0"); err != nil {
		t.Fatal(err)
	}
	// Kill returns once the process is reaped.
	if alive(pid) {
		t.Fatalf("pid %d exists after Kill", pid)
	}
	if p.Pid() != 0 {
		t.Fatal("a killed node still has a pid")
	}
	// Messages to a dead node are lost.
	lost := r.cl.rpc("n0", "echo", map[string]any{"echo": "lost"})
	r.runFor(50 * time.Millisecond)

	if err := r.s.Restart("n0"); err != nil {
		t.Fatal(err)
	}
	r.until(patience, p.Initialized)
	if p.Pid() == pid || p.Pid() == 0 {
		t.Fatalf("restart pid %d, before %d", p.Pid(), pid)
	}
	if got := field(t, r.answered(r.cl.rpc("n0", "read_file", map[string]any{"name": "state"})), "data"); got != "survives" {
		t.Fatalf("state after restart: %q", got)
	}
	// The node appends to "inits" on every init: two incarnations, two inits.
	if got := field(t, r.answered(r.cl.rpc("n0", "read_file", map[string]any{"name": "inits"})), "data"); got != "n0\nn0\n" {
		t.Fatalf("inits: %q", got)
	}
	if lost.done {
		t.Fatalf("a message sent while n0 was down got %+v %v", lost.resp, lost.err)
	}
	r.c.Close()
	noLeaks(t, before)
	log, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	s := string(log)
	mustContain(t, "log", s, "n0 incarnation 1 started", "n0 incarnation 1 (pid "+strconv.Itoa(pid)+") killed by the harness", "n0 incarnation 2 started")
	if n := strings.Count(s, "init as n0"); n != 2 {
		t.Fatalf("log has %d inits:\n%s", n, s)
	}
}

func TestRestartThatNeverAnswersInitEndsTheRun(t *testing.T) {
	// The first incarnation runs the node; later ones only sleep.
	script := "if [ -f started ]; then echo second life >&2; exec sleep 100; fi; touch started; exec " + nodeBin
	r := mustStart(t, options{command: []string{"/bin/sh", "-c", script}})
	// The first start had all the time it needed; the restart gets little.
	r.c.Process("n0").cfg.InitTimeout = 300 * time.Millisecond
	if err := r.s.Kill("n0"); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Restart("n0"); err != nil {
		t.Fatal(err)
	}
	err := r.untilErr(patience, func() bool { return false })
	if err == nil {
		t.Fatal("no error")
	}
	mustContain(t, "error", err.Error(), "n0 did not answer init within 300ms", "second life")
}

func TestInitOKMustAnswerInit(t *testing.T) {
	script := `read line; echo '{"src":"n0","dest":"c0","body":{"type":"init_ok"}}'; exec sleep 100`
	_, err := launch(t, options{command: []string{"/bin/sh", "-c", script}})
	if err == nil {
		t.Fatal("no error")
	}
	mustContain(t, "error", err.Error(), "n0 answered init with in_reply_to 0, expected 1")
}

func TestPauseStopsTheProcess(t *testing.T) {
	r := mustStart(t, options{})
	pid := r.c.Process("n0").Pid()
	if err := r.s.Pause("n0"); err != nil {
		t.Fatal(err)
	}
	if st := procState(t, pid); st != "T" {
		t.Fatalf("paused process state %q, want T (stopped)", st)
	}
	k := r.cl.rpc("n0", "echo", map[string]any{"echo": "later"})
	r.runFor(300 * time.Millisecond)
	if k.done {
		t.Fatal("a paused node answered")
	}
	resumed := r.s.Now()
	if err := r.s.Resume("n0"); err != nil {
		t.Fatal(err)
	}
	r.answered(k)
	if k.at < resumed {
		t.Fatalf("answer at %v, before the resume at %v", k.at, resumed)
	}
}

// procState is the state letter in /proc/<pid>/stat.
func procState(t *testing.T, pid int) string {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Skip("no /proc:", err)
		}
		// pid (comm) state ...: comm may hold spaces, so look after ')'.
		s := string(b)
		st := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
		// SIGSTOP is asynchronous; give it a moment.
		if st == "T" || time.Now().After(deadline) {
			return st
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPausedNodeMayTakeLongerThanInitTimeout(t *testing.T) {
	r := mustStart(t, options{})
	p := r.c.Process("n0")
	p.cfg.InitTimeout = time.Second
	if err := r.s.Kill("n0"); err != nil {
		t.Fatal(err)
	}
	// The nemesis restarts a node and pauses it at once when a pause is
	// still in force: the time it stays stopped is not the node's fault.
	if err := r.s.Restart("n0"); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Pause("n0"); err != nil {
		t.Fatal(err)
	}
	// Longer than the init timeout: were paused time counted, this fails.
	r.runFor(1500 * time.Millisecond)
	// After the resume the node has all the time it needs: how fast it
	// starts on a busy machine is not what this tests.
	p.cfg.InitTimeout = patience
	if err := r.s.Resume("n0"); err != nil {
		t.Fatal(err)
	}
	r.until(patience, p.Initialized)
}

func TestCloseLeavesNoProcesses(t *testing.T) {
	before := runtime.NumGoroutine()
	// Each node starts a grandchild; it is in the node's process group and
	// must die with it.
	r := mustStart(t, options{n: 3, command: []string{"/bin/sh", "-c", "sleep 300 & echo $! > child.pid; exec " + nodeBin}})
	var pids []int
	for _, p := range r.c.Processes() {
		pids = append(pids, p.Pid())
		b, err := os.ReadFile(filepath.Join(p.Dir(), "child.pid"))
		if err != nil {
			t.Fatal(err)
		}
		child, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, child)
	}
	// One of them is paused: SIGKILL must reach a stopped group too.
	if err := r.s.Pause("n1"); err != nil {
		t.Fatal(err)
	}
	r.c.Close()
	r.c.Close()
	for i, pid := range pids {
		if i%2 == 0 && alive(pid) { // a node: reaped by Close itself
			t.Fatalf("node pid %d exists after Close", pid)
		}
		// A grandchild is killed and reaped (we are its subreaper) by Close.
		waitDead(t, pid, patience)
	}
	noLeaks(t, before)
	if err := r.c.Process("n0").Boot([]string{"n0"}); err == nil {
		t.Fatal("Boot after Close succeeded")
	}
}

func TestOneMebibyteLines(t *testing.T) {
	r := mustStart(t, options{})
	big := strings.Repeat("ab", 1<<19)
	if got := field(t, r.answered(r.cl.rpc("n0", "echo", map[string]any{"echo": big})), "echo"); got != big {
		t.Fatalf("echo of %d bytes came back with %d", len(big), len(got))
	}
	if got := field(t, r.answered(r.cl.rpc("n0", "big", map[string]any{"n": 1 << 20})), "echo"); len(got) != 1<<20 {
		t.Fatalf("big reply of %d bytes", len(got))
	}
}

func TestStderrGoesToTheLog(t *testing.T) {
	var copied syncBuffer
	r := mustStart(t, options{edit: func(c *Config) { c.LogStderr = &copied }})
	r.answered(r.cl.rpc("n0", "log", map[string]any{"text": "a line for the log"}))
	path := r.c.Process("n0").LogPath()
	r.c.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "log file", string(b), "=== ddbbench: n0 incarnation 1 started", "node starting", "a line for the log\n", "killed by the harness")
	mustContain(t, "LogStderr", copied.String(), "n0: node starting", "n0: a line for the log\n")
}

func TestStartStopsOnContextCancel(t *testing.T) {
	s := sim.New(sim.Config{RealTime: true})
	c, err := NewCluster(Config{Command: []string{"/bin/sleep", "100"}, DataDir: t.TempDir()}, s, []string{"n0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = c.Start(ctx)
	if err == nil {
		t.Fatal("no error")
	}
	mustContain(t, "error", err.Error(), "init_ok from n0", "deadline exceeded")
}

func TestBadConfig(t *testing.T) {
	s := sim.New(sim.Config{RealTime: true})
	for _, cfg := range []Config{
		{DataDir: t.TempDir()},
		{Command: []string{"/no/such/binary"}, DataDir: t.TempDir()},
		{Command: []string{"/bin/sleep"}},
	} {
		if _, err := NewCluster(cfg, s, []string{"n0"}); err == nil {
			t.Fatalf("%+v: no error", cfg)
		}
	}
	if len(s.Nodes()) != 0 {
		t.Fatal("a failed NewCluster added nodes")
	}
}

func TestCloseUnderLoad(t *testing.T) {
	before := runtime.NumGoroutine()
	p := &pump{typ: "relay", window: 2000, total: 1 << 30, relayTargets: true, nodes: []string{"n0", "n1", "n2"}}
	r := mustStart(t, options{n: 3, extra: p})
	p.fill()
	r.until(patience, func() bool { return p.done > 0 })
	r.runFor(50 * time.Millisecond)
	// The loop has stopped with messages in every queue and pipe, some
	// readers possibly blocked on a full outbox: Close must still end it all.
	r.c.Close()
	noLeaks(t, before)
}

func TestFloodingNodeGetsBackPressureAndLosesNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	r := mustStart(t, options{})
	const n = 5 * outboxLimit
	r.cl.rpc("n0", "flood", map[string]any{"n": n})
	r.runFor(5 * time.Millisecond) // delivers the request
	// Not running the loop: the reader fills the outbox and stops reading,
	// which leaves the node blocked on its stdout.
	waitOutboxFull(t, r.c.Process("n0"))
	r.until(patience, func() bool { return r.s.Stats().ClientServer >= n+1 })
	if got := r.s.Stats().ClientServer; got != n+1 {
		t.Fatalf("%d client messages, want %d (the request and the flood)", got, n+1)
	}
	// Again, and close while it is stuck.
	r.cl.rpc("n0", "flood", map[string]any{"n": n})
	r.runFor(5 * time.Millisecond)
	waitOutboxFull(t, r.c.Process("n0"))
	r.c.Close()
	noLeaks(t, before)
}

func TestExitIsCrashDuringStart(t *testing.T) {
	// Answers init, then dies at once, perhaps before Start has seen it.
	script := `read line; echo '{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}'; exit 7`
	r := mustStart(t, options{command: []string{"/bin/sh", "-c", script}, edit: func(c *Config) { c.ExitIsCrash = true }})
	r.until(patience, func() bool { return !r.s.Alive("n0") })
}
