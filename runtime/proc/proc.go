// Package proc is the process runtime: every server node is a real child
// process speaking Maelstrom's protocol on stdin/stdout, and the simulator,
// in real-time mode, carries its messages through the same network model
// the pure simulation uses.
//
// A Process is the sim.External for one node. It owns every incarnation of
// that node's child (the first start and one per restart after a kill): the
// child's pipes, a writer goroutine feeding its stdin, readers for its stdout
// and stderr, and a waiter that reaps it. Nothing it does from the simulation
// loop blocks for long: input is queued, signals are sent, and only Kill
// waits, for the killed child to be reaped (well under a millisecond).
//
// Messages the child writes reach the loop in batches: the stdout reader
// appends to an outbox and posts one drain function whenever the outbox goes
// from empty to non-empty. That keeps the number of functions a Process has
// waiting in the simulator's inbox bounded by a small constant, so posting
// never blocks, even when nothing runs the loop (before Start returns, after
// the run ended); the outbox's own bound gives the child back-pressure.
package proc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

// Config describes how to run the node binary. One Config serves a cluster.
type Config struct {
	// Command is the node binary and its arguments, as after Maelstrom's
	// --bin. A relative path is resolved against the harness's working
	// directory, since each node runs in its own.
	Command []string
	// DataDir is the root of the nodes' working directories: node n1 runs in
	// DataDir/n1, created if needed, kept across kills and restarts.
	DataDir string
	// LogDir receives each node's stderr, appended to LogDir/<id>.log with a
	// marker line at every start and end. Empty: stderr is not kept in a file.
	LogDir string
	// LogLimit caps each node's log file, in bytes: past it, the first and
	// last halves are kept and a line says how much was cut between them.
	// 0 means DefaultLogLimit; negative, no cap.
	LogLimit int64
	// LogStderr, when set, also gets every stderr line, prefixed with the
	// node id (Maelstrom's --log-stderr). Writes to it are serialized.
	LogStderr io.Writer
	// InitTimeout is how long a node has to answer init, counted while it
	// is not paused (0: 10s).
	InitTimeout time.Duration
	// ExitIsCrash makes a node that exits on its own (after answering init)
	// count as crashed, as if killed, instead of ending the run. Runs with
	// kill faults may want it; by default an exit is a bug in the node.
	ExitIsCrash bool
}

// Maelstrom sends init from a fresh client, as that client's first request;
// so do we. The reply is consumed by the harness and never routed.
const (
	initSrc   = "c0"
	initMsgID = 1
)

// tailLines is how many stderr lines an error message quotes.
const tailLines = 10

// Process runs one node as a child process. It implements sim.External;
// Boot, Deliver, Kill, Pause and Resume are called from the simulation loop,
// Close and the accessors from anywhere.
type Process struct {
	cfg     Config
	id      string
	sim     *sim.Sim
	bin     string // absolute path of Command[0]
	dir     string // working directory
	logPath string // "" when there is no log file
	log     *nodeLog
	mark    string // TokenEnv's value prefix for this node's processes

	mu     sync.Mutex
	cur    *incarnation // the running child; nil while down
	last   *incarnation // the latest child, running or not
	count  int          // incarnations started so far
	closed bool
	wg     sync.WaitGroup // every goroutine of every incarnation

	closeOnce sync.Once
}

// New prepares node id of s to run cfg.Command; the caller adds it with
// s.AddExternal (NewCluster does both), and nothing starts until the
// simulator boots it. It checks the binary and creates the node's working
// and log directories, so that a misconfiguration fails before the run.
func New(cfg Config, id string, s *sim.Sim) (*Process, error) {
	return newProcess(cfg, id, s, newClusterMark())
}

// newProcess is New for a node of the cluster whose mark is given.
func newProcess(cfg Config, id string, s *sim.Sim, clusterMark string) (*Process, error) {
	if len(cfg.Command) == 0 || cfg.Command[0] == "" {
		return nil, errors.New("proc: no node command given")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("proc: no data directory given")
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	bin, err := exec.LookPath(cfg.Command[0])
	if err != nil {
		if !strings.ContainsRune(cfg.Command[0], filepath.Separator) {
			return nil, fmt.Errorf("proc: node binary: %w (for a file in the current directory, write ./%s)", err, cfg.Command[0])
		}
		return nil, fmt.Errorf("proc: node binary: %w", err)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return nil, fmt.Errorf("proc: node binary: %w", err)
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, id))
	if err != nil {
		return nil, fmt.Errorf("proc: data directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("proc: data directory of %s: %w", id, err)
	}
	p := &Process{cfg: cfg, id: id, sim: s, bin: bin, dir: dir, mark: clusterMark + id + "/"}
	if cfg.LogDir != "" {
		if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("proc: log directory: %w", err)
		}
		if p.logPath, err = filepath.Abs(filepath.Join(cfg.LogDir, id+".log")); err != nil {
			return nil, fmt.Errorf("proc: log file of %s: %w", id, err)
		}
		if p.log, err = openNodeLog(p.logPath, cfg.LogLimit); err != nil {
			return nil, fmt.Errorf("proc: log file of %s: %w", id, err)
		}
	}
	return p, nil
}

// ID is the node's id.
func (p *Process) ID() string { return p.id }

// Dir is the node's working directory.
func (p *Process) Dir() string { return p.dir }

// LogPath is the node's stderr log file, "" when there is none.
func (p *Process) LogPath() string { return p.logPath }

// LogCut reports how many bytes of the node's log were cut (see
// Config.LogLimit; known after Close) and how many were written in all.
func (p *Process) LogCut() (cut, written int64) { return p.log.Cut() }

// Pid is the process id of the running child, 0 while the node is down.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		return 0
	}
	return p.cur.pid
}

// Initialized reports whether the running child has answered init.
func (p *Process) Initialized() bool {
	p.mu.Lock()
	inc := p.cur
	p.mu.Unlock()
	return inc != nil && inc.initialized()
}

// answeredInit reports whether the latest child answered init, even if it
// has crashed since (ExitIsCrash).
func (p *Process) answeredInit() bool {
	p.mu.Lock()
	inc := p.last
	p.mu.Unlock()
	return inc != nil && inc.initialized()
}

// current is the running incarnation, or nil.
func (p *Process) current() *incarnation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// Boot starts a child and queues init for it; it returns once the child is
// running, without waiting for its answer (a watchdog fails the run when
// init_ok does not come within InitTimeout). Implements sim.External.
func (p *Process) Boot(nodeIDs []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("%s: cannot start: the cluster is closed", p.id)
	}
	if p.cur != nil {
		// The simulator boots only a node it considers down; a child still
		// running here would be an orphan-to-be.
		p.cur.kill(0)
		p.cur = nil
	}
	// Two incarnations must never share the working directory: a lock
	// file the old one held would make the new one fail.
	if p.last != nil && !p.last.awaitGone(killWait) {
		return fmt.Errorf("%s: cannot restart: its previous process (pid %d) has not ended %v after SIGKILL", p.id, p.last.pid, killWait)
	}
	p.count++
	becomeSubreaper()
	inc, err := start(p, p.count, nodeIDs)
	if err != nil {
		return err
	}
	p.cur, p.last = inc, inc
	return nil
}

// killWait bounds how long Kill and Boot wait for a killed child to be gone.
// That normally takes well under a millisecond; only a process stuck in the
// kernel (uninterruptible I/O), or a grandchild that left the process group
// and holds the pipes open (see readerGrace), makes it longer.
const killWait = 5 * time.Second

// Deliver queues msg for the child's stdin. Implements sim.External.
func (p *Process) Deliver(msg maelstrom.Msg) {
	inc := p.current()
	if inc == nil {
		return
	}
	if err := inc.stdin.push(msg); err != nil {
		p.sim.Fail(fmt.Errorf("cannot deliver to %s: %w", p.id, err))
	}
}

// Kill SIGKILLs the child's process group and waits (briefly: the waiter
// goroutine reaps it at once) until it is gone. Its exit is expected and
// not reported. Implements sim.External.
func (p *Process) Kill() {
	p.mu.Lock()
	inc := p.cur
	p.cur = nil
	p.mu.Unlock()
	if inc != nil {
		// Not gone in time is Boot's problem, should a restart come.
		inc.kill(killWait)
	}
}

// Pause SIGSTOPs the child's process group. Implements sim.External.
func (p *Process) Pause() {
	if inc := p.current(); inc != nil {
		inc.pause()
	}
}

// Resume SIGCONTs the child's process group. Implements sim.External.
func (p *Process) Resume() {
	if inc := p.current(); inc != nil {
		inc.resume()
	}
}

// Close kills the child and everything it started (see TokenEnv), waits
// until it is reaped and every goroutine of every incarnation has ended,
// and closes the log. Safe to call more than once and from any goroutine;
// after it, Boot fails.
func (p *Process) Close() { p.closeWith(true) }

// closeWith is Close; without sweep, the caller ends the node's
// descendants itself (a cluster sweeps for all its nodes at once).
func (p *Process) closeWith(sweep bool) {
	p.closeOnce.Do(func() {
		p.stop()
		var killed []int
		if sweep {
			killed = sweepKill(p.mark, p.groups(), killWait)
		}
		p.wg.Wait()
		reap(killed, killWait)
		if p.log != nil {
			p.log.close()
		}
	})
}

// stop marks the node closed and SIGKILLs its child's group, without
// waiting.
func (p *Process) stop() {
	p.mu.Lock()
	p.closed = true
	inc := p.cur
	p.cur = nil
	p.mu.Unlock()
	if inc != nil {
		inc.kill(0)
	}
}

// isClosed reports whether Close has begun.
func (p *Process) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// groups is the process group of the latest child, which may have members
// left, zombies at least, when it has not been reaped yet.
func (p *Process) groups() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		return nil
	}
	return []int{p.last.pid}
}

// drain routes what inc's child wrote. It runs in the simulation loop.
func (p *Process) drain(inc *incarnation) {
	msgs := inc.out.take()
	// Lines from a child that has since been killed are lost, as messages
	// from a node that is down are.
	if p.current() == inc {
		for _, m := range msgs {
			p.sim.Inject(m)
		}
	}
	inc.out.recycle(msgs)
}

// exited handles a child that ended without being killed. It runs in the
// simulation loop.
func (p *Process) exited(inc *incarnation, status string) {
	if inc.killed.Load() || p.current() != inc {
		return
	}
	p.mu.Lock()
	p.cur = nil
	p.mu.Unlock()
	// A node that dies before answering init is broken, not crashed.
	if p.cfg.ExitIsCrash && inc.initialized() {
		p.log.printf("=== ddbbench: %s counts as crashed\n", p.id)
		_ = p.sim.Kill(p.id) // marks it down; our Kill finds nothing to do
		return
	}
	p.sim.Fail(fmt.Errorf("%s exited on its own (%s)%s", p.id, status, p.stderrHint(inc)))
}

// initTimedOut fails the run when inc still has not answered init. It runs
// in the simulation loop.
func (p *Process) initTimedOut(inc *incarnation) {
	if inc.initialized() || inc.killed.Load() || p.current() != inc {
		return
	}
	p.sim.Fail(fmt.Errorf("%s did not answer init within %v%s", p.id, p.cfg.InitTimeout, p.stderrHint(inc)))
}

// stderrHint is the end of an error message about inc: its last stderr
// lines and where the rest is.
func (p *Process) stderrHint(inc *incarnation) string {
	var b strings.Builder
	if lines := inc.tail.lines(); len(lines) == 0 {
		b.WriteString("; it wrote nothing to stderr")
	} else {
		b.WriteString("; its last stderr lines:")
		for _, l := range lines {
			b.WriteString("\n    ")
			b.WriteString(l)
		}
	}
	if p.logPath != "" {
		fmt.Fprintf(&b, "\nfull stderr log: %s", p.logPath)
	}
	return b.String()
}

// stderrMu serializes writes to Config.LogStderr, which all nodes (and
// possibly several clusters) share.
var stderrMu sync.Mutex

// copyLine writes one stderr line, prefixed with the node id, to w.
func copyLine(w io.Writer, id string, line []byte) {
	buf := make([]byte, 0, len(id)+2+len(line)+1)
	buf = append(buf, id...)
	buf = append(buf, ": "...)
	buf = append(buf, line...)
	if len(line) == 0 || line[len(line)-1] != '\n' {
		buf = append(buf, '\n')
	}
	stderrMu.Lock()
	defer stderrMu.Unlock()
	_, _ = w.Write(buf)
}

// quote renders a line of output for an error message: trimmed, cut to
// about 200 bytes, quoted so that control characters are visible.
func quote(line []byte) string {
	const max = 200
	s := strings.TrimRight(string(line), "\r\n")
	if len(s) > max {
		return fmt.Sprintf("%q... (%d bytes in all)", strings.ToValidUTF8(s[:max], ""), len(s))
	}
	return fmt.Sprintf("%q", s)
}

// signalGroup sends sig to the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
}

var _ sim.External = (*Process)(nil)
