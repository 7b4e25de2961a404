package proc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// readerGrace is how long the waiter lets the readers finish what a dead
// child wrote. Only a grandchild that left the process group (and so
// survived the group kill) can hold the pipes open longer.
const readerGrace = 2 * time.Second

// incarnation is one run of a node's child process, from start to reap.
type incarnation struct {
	p   *Process
	n   int // 1 for the first start, +1 per restart
	cmd *exec.Cmd
	pid int // also the process group id (Setpgid)

	// Our ends of the child's pipes.
	stdinFile, stdoutFile, stderrFile *os.File

	stdin pipeQueue // encoded lines waiting for the child's stdin
	out   outbox    // messages read from stdout, waiting for the loop
	tail  tail      // the last stderr lines, for error messages

	initDone chan struct{} // closed when init_ok arrives
	initOnce sync.Once

	killed     atomic.Bool   // the harness killed it: its exit is expected
	failed     atomic.Bool   // a bad line was reported; later output is ignored
	abandon    chan struct{} // closed once nobody needs the child's output
	abandonOne sync.Once
	quit       chan struct{} // closed after the reap: the writer stops
	gone       chan struct{} // closed once the child is reaped and its output read and logged
	readers    sync.WaitGroup

	// mu orders signals against the reap: once exited is set the pid may
	// be reused, so nothing is sent to it any more.
	mu       sync.Mutex
	exited   bool
	watchdog *time.Timer // fires when init_ok is late; nil when not armed
}

// start launches p's child as incarnation n, with init first in its input.
func start(p *Process, n int, nodeIDs []string) (*incarnation, error) {
	var files []*os.File // every pipe end, closed on failure
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	closeAll := func() {
		for _, f := range files {
			_ = f.Close()
		}
	}
	inR, inW, err1 := pipe()
	outR, outW, err2 := pipe()
	errR, errW, err3 := pipe()
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("starting %s: %w", p.id, err)
		}
	}
	// The child gets the pipes as *os.File, so exec starts no copying
	// goroutines and Wait closes nothing we still read.
	cmd := &exec.Cmd{
		Path:        p.bin,
		Args:        p.cfg.Command,
		Dir:         p.dir,
		Stdin:       inR,
		Stdout:      outW,
		Stderr:      errW,
		SysProcAttr: sysProcAttr(),
		// The mark of everything this incarnation starts (see TokenEnv).
		Env: append(os.Environ(), TokenEnv+"="+p.mark+strconv.Itoa(n)+"/"),
	}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("starting %s: %w", p.id, err)
	}
	managed.Store(cmd.Process.Pid, true)
	// Our copies of the child's ends must go, or we would never see EOF.
	_, _, _ = inR.Close(), outW.Close(), errW.Close()

	inc := &incarnation{
		p: p, n: n, cmd: cmd, pid: cmd.Process.Pid,
		stdinFile: inW, stdoutFile: outR, stderrFile: errR,
		initDone: make(chan struct{}),
		abandon:  make(chan struct{}),
		quit:     make(chan struct{}),
		gone:     make(chan struct{}),
	}
	inc.stdin.ready = make(chan struct{}, 1)
	inc.out.space = make(chan struct{}, 1)
	p.log.printf("=== ddbbench: %s incarnation %d started at %s, pid %d: %s\n",
		p.id, n, time.Now().Format(time.RFC3339Nano), inc.pid, strings.Join(p.cfg.Command, " "))

	// Maelstrom's init, ahead of anything delivered later.
	initMsg := maelstrom.Msg{Src: initSrc, Dest: p.id, Type: "init", MsgID: initMsgID,
		Body: maelstrom.InitBody{NodeID: p.id, NodeIDs: nodeIDs}}
	if err := inc.stdin.push(initMsg); err != nil {
		panic(err) // InitBody always encodes
	}

	inc.readers.Add(2)
	p.wg.Add(4)
	go inc.writeStdin()
	go inc.readStdout()
	go inc.readStderr()
	go inc.wait()
	inc.mu.Lock()
	inc.armWatchdog()
	inc.mu.Unlock()
	return inc, nil
}

func (inc *incarnation) initialized() bool {
	select {
	case <-inc.initDone:
		return true
	default:
		return false
	}
}

// armWatchdog (with inc.mu held) starts the init timeout, unless init is
// done. The timer only posts: the loop decides, since by then the node may
// have answered, been killed or been paused.
func (inc *incarnation) armWatchdog() {
	if inc.initialized() || inc.exited {
		return
	}
	p := inc.p
	inc.watchdog = time.AfterFunc(p.cfg.InitTimeout, func() {
		p.sim.Post(func() { p.initTimedOut(inc) })
	})
}

// disarmWatchdog (with inc.mu held) stops the init timeout.
func (inc *incarnation) disarmWatchdog() {
	if inc.watchdog != nil {
		inc.watchdog.Stop()
		inc.watchdog = nil
	}
}

// signal sends sig to the child's process group while it is not reaped.
func (inc *incarnation) signal(sig syscall.Signal) {
	if !inc.exited {
		signalGroup(inc.pid, sig)
	}
}

// kill SIGKILLs the child's group and waits, up to limit, until it is
// gone: reaped (its files and locks released, so that a restart cannot
// overlap with it) and its last output logged. It reports whether it is.
func (inc *incarnation) kill(limit time.Duration) bool {
	inc.killed.Store(true)
	inc.mu.Lock()
	inc.signal(syscall.SIGKILL)
	inc.disarmWatchdog()
	inc.mu.Unlock()
	inc.abandonOutput()
	return inc.awaitGone(limit)
}

// awaitGone waits, up to limit, until the child is gone.
func (inc *incarnation) awaitGone(limit time.Duration) bool {
	select {
	case <-inc.gone:
		return true
	default:
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-inc.gone:
		return true
	case <-t.C:
		return false
	}
}

// pause stops the child. Time spent stopped does not count against init.
func (inc *incarnation) pause() {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	inc.signal(syscall.SIGSTOP)
	inc.disarmWatchdog()
}

// resume continues the child and restarts a pending init timeout.
func (inc *incarnation) resume() {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	inc.signal(syscall.SIGCONT)
	if inc.watchdog == nil {
		inc.armWatchdog()
	}
}

func (inc *incarnation) abandonOutput() {
	inc.abandonOne.Do(func() { close(inc.abandon) })
}

// wait reaps the child, lets the readers finish, and reports an exit the
// harness did not cause.
func (inc *incarnation) wait() {
	p := inc.p
	defer p.wg.Done()

	// Where the platform allows, learn of the exit without reaping, so that
	// the group kill below (and any Kill racing with the exit) still
	// addresses our process group and not a reused pid.
	var waitErr error
	reaped := false
	if !waitExited(inc.pid) {
		waitErr, reaped = inc.cmd.Wait(), true
	}
	inc.mu.Lock()
	// Whatever the node started dies with it: its process group at once,
	// and what left the group by its mark. When the whole node is being
	// closed, its closer sweeps instead (a cluster, once for all nodes).
	signalGroup(inc.pid, syscall.SIGKILL)
	inc.exited = true
	inc.disarmWatchdog()
	inc.mu.Unlock()
	var swept []int
	if !p.isClosed() {
		swept = sweepKill(p.mark+strconv.Itoa(inc.n)+"/", []int{inc.pid}, killWait)
	}
	if !reaped {
		waitErr = inc.cmd.Wait()
	}
	managed.Delete(inc.pid)
	// Its killed descendants come to us, the subreaper, once it is reaped.
	reap(swept, killWait)

	// The writer may be blocked on a pipe nobody reads any more.
	_ = inc.stdinFile.Close()
	close(inc.quit)

	done := make(chan struct{})
	go func() { inc.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(readerGrace):
		inc.abandonOutput()
		_, _ = inc.stdoutFile.Close(), inc.stderrFile.Close()
		<-done
	}
	_, _ = inc.stdoutFile.Close(), inc.stderrFile.Close()

	status := exitStatus(inc.cmd, waitErr)
	killed := inc.killed.Load()
	if killed {
		p.log.printf("=== ddbbench: %s incarnation %d (pid %d) killed by the harness\n", p.id, inc.n, inc.pid)
	} else {
		p.log.printf("=== ddbbench: %s incarnation %d (pid %d) exited on its own: %s\n", p.id, inc.n, inc.pid, status)
	}
	close(inc.gone)
	if !killed {
		// Posted after the readers' last posts, so the node's final
		// messages and any bad line are seen first. Should a Kill have
		// come in between, the loop ignores this.
		p.sim.Post(func() { p.exited(inc, status) })
	}
}

func exitStatus(cmd *exec.Cmd, err error) string {
	if cmd.ProcessState != nil {
		return cmd.ProcessState.String() // "exit status 3", "signal: segmentation fault"
	}
	return err.Error()
}

// writeStdin feeds the child its queued input, a batch per write.
func (inc *incarnation) writeStdin() {
	defer inc.p.wg.Done()
	var spare []byte
	broken := false
	for {
		select {
		case <-inc.stdin.ready:
		case <-inc.quit:
			return
		}
		buf := inc.stdin.take(spare)
		if !broken && len(buf) > 0 {
			// An error means the child is gone or going; what it did not
			// read no longer matters, and its exit is reported elsewhere.
			if _, err := inc.stdinFile.Write(buf); err != nil {
				broken = true
			}
		}
		spare = buf[:0]
		if cap(spare) > 4<<20 {
			spare = nil // do not pin the memory of one huge burst
		}
	}
}

// readStdout parses the child's messages and hands them to the loop. Lines
// have no length limit.
func (inc *incarnation) readStdout() {
	defer inc.p.wg.Done()
	defer inc.readers.Done()
	br := bufio.NewReaderSize(inc.stdoutFile, 64<<10)
	var long []byte
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			inc.handleLine(line)
		}
		if err != nil {
			return
		}
		if cap(long) > 4<<20 {
			long = nil
		}
	}
}

// handleLine deals with one line of stdout.
func (inc *incarnation) handleLine(line []byte) {
	p := inc.p
	if inc.killed.Load() || inc.failed.Load() {
		// A killed node's output is lost (its last line may be cut short);
		// after a bad line the run is ending anyway.
		return
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	msg, err := maelstrom.ParseLine(line)
	if err != nil {
		inc.fail(fmt.Errorf("%s wrote to stdout: %w\n    line: %s\n    (stdout carries protocol messages only; logs go to stderr)", p.id, err, quote(line)))
		return
	}
	if msg.Src != p.id {
		inc.fail(fmt.Errorf("%s wrote a message with src %q, but a node may only send as itself (%q, its node_id in init)\n    line: %s", p.id, msg.Src, p.id, quote(line)))
		return
	}
	if msg.Type == "init_ok" && msg.InReplyTo != initMsgID && !inc.initialized() {
		inc.fail(fmt.Errorf("%s answered init with in_reply_to %d, expected %d (the msg_id of init)\n    line: %s", p.id, msg.InReplyTo, initMsgID, quote(line)))
		return
	}
	if msg.Dest == initSrc && msg.InReplyTo == initMsgID && !inc.initialized() {
		if msg.Type != "init_ok" {
			inc.fail(fmt.Errorf("%s answered init with a %q message, expected init_ok\n    line: %s", p.id, msg.Type, quote(line)))
			return
		}
		inc.initOnce.Do(func() { close(inc.initDone) })
		inc.mu.Lock()
		inc.disarmWatchdog()
		inc.mu.Unlock()
		return
	}
	post, ok := inc.out.push(msg, inc.abandon)
	if ok && post {
		p.sim.Post(func() { p.drain(inc) })
	}
}

// fail ends the run with err, once per incarnation.
func (inc *incarnation) fail(err error) {
	if inc.failed.CompareAndSwap(false, true) {
		inc.p.sim.Post(func() { inc.p.sim.Fail(err) })
	}
}

// readStderr copies the child's stderr to the log, the tail and LogStderr.
func (inc *incarnation) readStderr() {
	p := inc.p
	defer p.wg.Done()
	defer inc.readers.Done()
	br := bufio.NewReaderSize(inc.stderrFile, 64<<10)
	var batch []byte // log bytes, written when the child pauses or a lot piled up
	for {
		chunk, err := br.ReadSlice('\n') // a line, or a piece of a long one
		if len(chunk) > 0 {
			batch = append(batch, chunk...)
			inc.tail.add(chunk)
			if w := p.cfg.LogStderr; w != nil {
				copyLine(w, p.id, chunk)
			}
		}
		if len(batch) > 0 && (br.Buffered() == 0 || len(batch) >= 64<<10 || (err != nil && err != bufio.ErrBufferFull)) {
			p.log.write(batch)
			batch = batch[:0]
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}
