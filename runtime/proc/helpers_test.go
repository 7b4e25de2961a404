package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/network"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

// patience bounds how long a test waits for something that must happen;
// reaching it fails the test. It is generous: the machine may be busy, and
// no test measures speed with it.
const patience = 2 * time.Minute

// nodeBin is testdata/node, built once for the whole test binary.
var nodeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "proc-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	nodeBin = filepath.Join(dir, "node")
	out, err := exec.Command("go", "build", "-o", nodeBin, "./testdata/node").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/node: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// call is one RPC a test client made, and its outcome once it has one.
type call struct {
	typ  string
	sent time.Duration
	done bool
	at   time.Duration // when the outcome came, in the loop's time
	resp maelstrom.Msg
	err  error
}

// client is an in-sim client that makes RPCs on the tests' behalf.
type client struct {
	env   nodes.Env
	calls []*call
}

func (c *client) Init(env nodes.Env)   { c.env = env }
func (c *client) Handle(maelstrom.Msg) {}

// rpc sends typ with body's fields to dest. Call it from the loop or while
// the loop is not running.
func (c *client) rpc(dest, typ string, body map[string]any) *call {
	if body == nil {
		body = map[string]any{} // a nil map encodes as null, not an object
	}
	k := &call{typ: typ, sent: c.env.Now()}
	c.calls = append(c.calls, k)
	c.env.RPC(dest, typ, body, patience, func(resp maelstrom.Msg, err error) {
		k.done, k.at, k.resp, k.err = true, c.env.Now(), resp, err
	})
	return k
}

// field decodes one string field of a reply body.
func field(t testing.TB, m maelstrom.Msg, name string) string {
	t.Helper()
	b, err := maelstrom.Decode[map[string]any](m)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := b[name].(string)
	return s
}

// run is one test cluster: a real-time simulation, node processes, and one
// client, c0.
type run struct {
	t  testing.TB
	s  *sim.Sim
	c  *Cluster
	cl *client
}

type options struct {
	n       int
	net     network.Config
	command []string
	edit    func(*Config)
	extra   nodes.Node // added as client c1 when set
}

func launch(t testing.TB, o options) (*run, error) {
	t.Helper()
	if o.n == 0 {
		o.n = 1
	}
	if o.command == nil {
		o.command = []string{nodeBin}
	}
	s := sim.New(sim.Config{RealTime: true, Network: o.net})
	cl := &client{}
	s.AddClient("c0", func() nodes.Node { return cl })
	if o.extra != nil {
		s.AddClient("c1", func() nodes.Node { return o.extra })
	}
	cfg := Config{Command: o.command, DataDir: t.TempDir(), LogDir: t.TempDir(), InitTimeout: patience}
	if o.edit != nil {
		o.edit(&cfg)
	}
	ids := make([]string, o.n)
	for i := range ids {
		ids[i] = fmt.Sprintf("n%d", i)
	}
	c, err := NewCluster(cfg, s, ids)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	r := &run{t: t, s: s, c: c, cl: cl}
	return r, c.Start(context.Background())
}

// mustStart starts a cluster that must come up.
func mustStart(t testing.TB, o options) *run {
	t.Helper()
	r, err := launch(t, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// until runs the loop until cond holds, failing the test after limit.
func (r *run) until(limit time.Duration, cond func() bool) {
	r.t.Helper()
	if err := r.untilErr(limit, cond); err != nil {
		r.t.Fatal(err)
	}
}

func (r *run) untilErr(limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("condition not met in time")
		}
		if err := r.s.RunUntil(r.s.Now() + 5*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// runFor runs the loop for d of wall time.
func (r *run) runFor(d time.Duration) {
	r.t.Helper()
	if err := r.s.RunUntil(r.s.Now() + d); err != nil {
		r.t.Fatal(err)
	}
}

// answered waits for k's outcome and requires it to be a success.
func (r *run) answered(k *call) maelstrom.Msg {
	r.t.Helper()
	r.until(patience, func() bool { return k.done })
	if k.err != nil {
		r.t.Fatalf("%s: %v", k.typ, k.err)
	}
	return k.resp
}

// alive reports whether a process (or zombie) with this pid exists.
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// waitDead fails the test unless pid is gone or a zombie within limit.
func waitDead(t testing.TB, pid int, limit time.Duration) {
	t.Helper()
	waitFor(t, limit, func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return !alive(pid)
		}
		s := string(b)
		return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0] == "Z"
	}, "process %d still running", pid)
}

func waitFor(t testing.TB, limit time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf(format, args...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noLeaks fails the test if goroutines started since before do not end.
func noLeaks(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitOutboxFull waits until p's outbox holds as many messages as it may:
// its stdout reader has stopped reading.
func waitOutboxFull(t testing.TB, p *Process) {
	t.Helper()
	waitFor(t, patience, func() bool {
		inc := p.current()
		if inc == nil {
			return false
		}
		inc.out.mu.Lock()
		defer inc.out.mu.Unlock()
		return len(inc.out.msgs) >= outboxLimit
	}, "the outbox of %s never filled", p.id)
}

// syncBuffer is a bytes.Buffer safe for the stderr readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mustContain(t testing.TB, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}
