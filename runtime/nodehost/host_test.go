package nodehost

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// childDirEnv makes the test binary act as a node host on its own stdin and
// stdout, with the named data directory, so that a test can SIGKILL it.
const childDirEnv = "NODEHOST_TEST_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		if err := Run(context.Background(), newTestNode, os.Stdin, os.Stdout, os.Stderr, dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testNode exercises every part of the Env.
type testNode struct {
	env nodes.Env
}

func newTestNode() nodes.Node { return &testNode{} }

func (n *testNode) Init(env nodes.Env) {
	n.env = env
	boots, _ := strconv.Atoi(bootCount(env))
	env.Store().Put("boots", []byte(strconv.Itoa(boots+1)))
	env.Store().Sync()
	env.SetRole("tester")
}

// bootCount is how many incarnations have started on this store.
func bootCount(env nodes.Env) string {
	v, _ := env.Store().Get("boots")
	return string(v)
}

type kvBody struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
	Sync  bool   `json:"sync,omitempty"`
	Found bool   `json:"found"`
	Boots string `json:"boots,omitempty"`
}

func (n *testNode) Handle(msg maelstrom.Msg) {
	env := n.env
	switch msg.Type {
	case "echo":
		body, _ := maelstrom.Decode[struct {
			Echo string `json:"echo"`
		}](msg)
		env.Reply(msg, "echo_ok", body)
	case "timer":
		// The later timer is cancelled by the earlier one: only timer_ok
		// may come out.
		late := env.SetTimer(60*time.Millisecond, func() { env.Send(msg.Src, "cancelled_timer_fired", nil) })
		env.SetTimer(10*time.Millisecond, func() {
			env.CancelTimer(late)
			env.Reply(msg, "timer_ok", map[string]int64{"now": int64(env.Now())})
		})
	case "call", "call_short":
		timeout := 5 * time.Second
		if msg.Type == "call_short" {
			timeout = 30 * time.Millisecond
		}
		env.RPC("svc", "ping", nil, timeout, func(resp maelstrom.Msg, err error) {
			if err != nil {
				rpcErr := err.(*maelstrom.RPCError)
				env.ReplyError(msg, rpcErr.Code, rpcErr.Text)
				return
			}
			env.Reply(msg, "call_ok", map[string]string{"reply": resp.Type})
		})
	case "put":
		body, _ := maelstrom.Decode[kvBody](msg)
		env.Store().Put(body.Key, []byte(body.Value))
		if body.Sync {
			env.Store().Sync()
		}
		env.Reply(msg, "put_ok", nil)
	case "delete":
		body, _ := maelstrom.Decode[kvBody](msg)
		env.Store().Delete(body.Key)
		env.Reply(msg, "delete_ok", nil)
	case "get":
		body, _ := maelstrom.Decode[kvBody](msg)
		v, ok := env.Store().Get(body.Key)
		env.Reply(msg, "get_ok", kvBody{Value: string(v), Found: ok, Boots: bootCount(env)})
	case "info":
		env.Reply(msg, "info_ok", map[string]any{"id": env.ID(), "node_ids": env.NodeIDs(), "rand": env.Rand().Int64()})
	default:
		env.ReplyError(msg, maelstrom.NotSupported, msg.Type)
	}
}

// hosted is a Run in progress, driven over pipes.
type hosted struct {
	t      *testing.T
	in     *io.PipeWriter
	lines  chan maelstrom.Msg
	cancel context.CancelFunc
	done   chan error
	stderr *strings.Builder
}

func startHost(t *testing.T, dir string) *hosted {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	h := &hosted{t: t, in: inW, lines: make(chan maelstrom.Msg, 64), cancel: cancel, done: make(chan error, 1), stderr: &strings.Builder{}}
	go func() {
		err := Run(ctx, newTestNode, inR, outW, h.stderr, dir)
		outW.Close()
		h.done <- err
	}()
	go readLines(t, outR, h.lines)
	t.Cleanup(func() { cancel(); inW.Close() })
	return h
}

// readLines parses every line of out with maelstrom.ParseLine, as the
// harness does.
func readLines(t *testing.T, out io.Reader, lines chan<- maelstrom.Msg) {
	defer close(lines)
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			msg, perr := maelstrom.ParseLine(line)
			if perr != nil {
				t.Errorf("host wrote %q: %v", line, perr)
				return
			}
			lines <- msg
		}
		if err != nil {
			return
		}
	}
}

func (h *hosted) send(format string, args ...any) {
	h.t.Helper()
	if _, err := fmt.Fprintf(h.in, format+"\n", args...); err != nil {
		h.t.Fatalf("write to host: %v", err)
	}
}

func (h *hosted) recv() maelstrom.Msg {
	h.t.Helper()
	return recvFrom(h.t, h.lines)
}

func recvFrom(t *testing.T, lines <-chan maelstrom.Msg) maelstrom.Msg {
	t.Helper()
	select {
	case m, ok := <-lines:
		if !ok {
			t.Fatal("host closed stdout")
		}
		return m
	case <-time.After(time.Minute):
		t.Fatal("nothing from the host within a minute")
	}
	panic("unreachable")
}

// expect receives a message and checks its header and body fields given as
// name, raw JSON pairs.
func expect(t *testing.T, m maelstrom.Msg, dest, typ string, inReplyTo int, fields ...string) map[string]json.RawMessage {
	t.Helper()
	body, err := maelstrom.Decode[map[string]json.RawMessage](m)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dest != dest || m.Type != typ || m.InReplyTo != inReplyTo {
		t.Errorf("got %s -> %s %s in_reply_to %d %s; want -> %s %s in_reply_to %d", m.Src, m.Dest, m.Type, m.InReplyTo, m.Raw, dest, typ, inReplyTo)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if got := string(body[fields[i]]); got != fields[i+1] {
			t.Errorf("%s: %s = %s, want %s", m.Raw, fields[i], got, fields[i+1])
		}
	}
	return body
}

func (h *hosted) expect(dest, typ string, inReplyTo int, fields ...string) maelstrom.Msg {
	h.t.Helper()
	m := h.recv()
	expect(h.t, m, dest, typ, inReplyTo, fields...)
	return m
}

func (h *hosted) expectSilence(d time.Duration) {
	h.t.Helper()
	select {
	case m := <-h.lines:
		h.t.Errorf("unexpected message %s -> %s %s", m.Src, m.Dest, m.Raw)
	case <-time.After(d):
	}
}

func (h *hosted) init(id string) {
	h.t.Helper()
	h.send(`{"src":"c0","dest":%q,"body":{"type":"init","msg_id":1,"node_id":%q,"node_ids":["n0","n1"]}}`, id, id)
	m := h.expect("c0", "init_ok", 1)
	if m.Src != id {
		h.t.Errorf("init_ok from %q, want %q", m.Src, id)
	}
}

// stop closes stdin and returns what Run returned.
func (h *hosted) stop() error {
	h.t.Helper()
	h.in.Close()
	for range h.lines {
	}
	select {
	case err := <-h.done:
		return err
	case <-time.After(time.Minute):
		h.t.Fatal("Run did not return within a minute of stdin EOF")
		return nil
	}
}

func TestInitAndEcho(t *testing.T) {
	h := startHost(t, t.TempDir())

	// Before init the node does not exist: a definite error, from the
	// address the client wrote to.
	h.send(`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":5,"echo":"early"}}`)
	m := h.expect("c1", "error", 5, "code", "11")
	if m.Src != "n1" {
		t.Errorf("error before init from %q, want n1", m.Src)
	}

	h.send(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":4}}`)
	h.expect("c0", "error", 4, "code", "12", "text", `"bad init: no node_id"`)

	h.init("n1")
	h.send(`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":6,"echo":"hi"}}`)
	h.expect("c1", "echo_ok", 6, "echo", `"hi"`)
	h.send(`{"src":"c1","dest":"n1","body":{"type":"info","msg_id":7}}`)
	h.expect("c1", "info_ok", 7, "id", `"n1"`, "node_ids", `["n0","n1"]`)

	// A duplicated init is answered again and changes nothing.
	h.send(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":8,"node_id":"n1","node_ids":["n0","n1"]}}`)
	h.expect("c0", "init_ok", 8)
	h.send(`{"src":"c1","dest":"n1","body":{"type":"get","msg_id":9,"key":"boots"}}`)
	h.expect("c1", "get_ok", 9, "boots", `"1"`)

	// A 1 MiB line.
	big := strings.Repeat("z", 1<<20)
	h.send(`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":10,"echo":%q}}`, big)
	h.expect("c1", "echo_ok", 10, "echo", strconv.Quote(big))

	if err := h.stop(); err != nil {
		t.Fatalf("Run returned %v at stdin EOF, want nil", err)
	}
	if !strings.Contains(h.stderr.String(), "role tester") {
		t.Errorf("SetRole left no log line; stderr:\n%s", h.stderr)
	}
}

func TestTimers(t *testing.T) {
	h := startHost(t, t.TempDir())
	h.init("n0")
	h.send(`{"src":"c1","dest":"n0","body":{"type":"timer","msg_id":2}}`)
	body := expect(t, h.recv(), "c1", "timer_ok", 2)
	if now, _ := strconv.ParseInt(string(body["now"]), 10, 64); time.Duration(now) < 10*time.Millisecond {
		t.Errorf("timer fired at Now() = %v, before its 10ms", time.Duration(now))
	}
	h.expectSilence(100 * time.Millisecond) // the cancelled timer
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestRPC(t *testing.T) {
	h := startHost(t, t.TempDir())
	h.init("n0")

	h.send(`{"src":"c1","dest":"n0","body":{"type":"call","msg_id":2}}`)
	req := h.expect("svc", "ping", 0)
	if req.MsgID == 0 {
		t.Fatal("RPC request without msg_id")
	}
	h.send(`{"src":"svc","dest":"n0","body":{"type":"ping_ok","in_reply_to":%d}}`, req.MsgID)
	h.expect("c1", "call_ok", 2, "reply", `"ping_ok"`)

	// An error reply reaches the callback as an *RPCError.
	h.send(`{"src":"c1","dest":"n0","body":{"type":"call","msg_id":3}}`)
	req2 := h.expect("svc", "ping", 0)
	if req2.MsgID == req.MsgID {
		t.Errorf("two RPCs with msg_id %d", req.MsgID)
	}
	h.send(`{"src":"svc","dest":"n0","body":{"type":"error","in_reply_to":%d,"code":22,"text":"no"}}`, req2.MsgID)
	h.expect("c1", "error", 3, "code", "22", "text", `"no"`)

	// No reply: the callback gets a timeout, code 0, and a late reply is
	// dropped.
	h.send(`{"src":"c1","dest":"n0","body":{"type":"call_short","msg_id":4}}`)
	req3 := h.expect("svc", "ping", 0)
	h.expect("c1", "error", 4, "code", "0")
	h.send(`{"src":"svc","dest":"n0","body":{"type":"ping_ok","in_reply_to":%d}}`, req3.MsgID)
	h.expectSilence(50 * time.Millisecond)

	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// The store survives a restart of the host on the same directory, synced or
// not, and message ids do not repeat across the restart.
func TestStoreSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	h := startHost(t, dir)
	h.init("n0")
	h.send(`{"src":"c1","dest":"n0","body":{"type":"put","msg_id":2,"key":"a","value":"unsynced"}}`)
	h.expect("c1", "put_ok", 2)
	h.send(`{"src":"c1","dest":"n0","body":{"type":"put","msg_id":3,"key":"b","value":"synced","sync":true}}`)
	h.expect("c1", "put_ok", 3)
	h.send(`{"src":"c1","dest":"n0","body":{"type":"put","msg_id":4,"key":"gone","value":"x"}}`)
	h.expect("c1", "put_ok", 4)
	h.send(`{"src":"c1","dest":"n0","body":{"type":"delete","msg_id":5,"key":"gone"}}`)
	h.expect("c1", "delete_ok", 5)
	h.send(`{"src":"c1","dest":"n0","body":{"type":"call_short","msg_id":6}}`)
	firstID := h.expect("svc", "ping", 0).MsgID
	h.expect("c1", "error", 6)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}

	h = startHost(t, dir)
	h.init("n0")
	for i, want := range []struct{ key, fields string }{
		{"a", `"unsynced" true`},
		{"b", `"synced" true`},
		{"gone", ` false`},
	} {
		h.send(`{"src":"c1","dest":"n0","body":{"type":"get","msg_id":%d,"key":%q}}`, 10+i, want.key)
		body := expect(t, h.recv(), "c1", "get_ok", 10+i, "boots", `"2"`)
		if got := string(body["value"]) + " " + string(body["found"]); got != want.fields {
			t.Errorf("after restart, %s = %s, want %s", want.key, got, want.fields)
		}
	}
	h.send(`{"src":"c1","dest":"n0","body":{"type":"call_short","msg_id":20}}`)
	if id := h.expect("svc", "ping", 0).MsgID; id <= firstID {
		t.Errorf("msg_id %d after restart, not above %d from before", id, firstID)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// An unsynced Put survives SIGKILL of the process: it is in the page cache.
func TestStoreSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	start := func() (*exec.Cmd, io.WriteCloser, chan maelstrom.Msg) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("child stderr:\n%s", stderr.String())
			}
		})
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan maelstrom.Msg, 16)
		go readLines(t, out, lines)
		fmt.Fprintln(in, `{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}`)
		expect(t, recvFrom(t, lines), "c0", "init_ok", 1)
		return cmd, in, lines
	}

	cmd, in, lines := start()
	fmt.Fprintln(in, `{"src":"c1","dest":"n0","body":{"type":"put","msg_id":2,"key":"k","value":"kept"}}`)
	expect(t, recvFrom(t, lines), "c1", "put_ok", 2)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	cmd, in, lines = start()
	fmt.Fprintln(in, `{"src":"c1","dest":"n0","body":{"type":"get","msg_id":3,"key":"k"}}`)
	expect(t, recvFrom(t, lines), "c1", "get_ok", 3, "value", `"kept"`, "boots", `"2"`)
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("host exited with %v at stdin EOF", err)
	}
}

// Cancelling ctx ends Run at once, with live timers and a blocked reader,
// and leaves no goroutine behind.
func TestCancel(t *testing.T) {
	baseline := runtime.NumGoroutine()
	h := startHost(t, t.TempDir())
	h.init("n0")
	h.send(`{"src":"c1","dest":"n0","body":{"type":"call","msg_id":2}}`) // a 5s timer
	h.expect("svc", "ping", 0)
	h.cancel()
	select {
	case err := <-h.done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return within a minute of cancel")
	}
	for range h.lines {
	}
	deadline := time.Now().Add(time.Minute)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBadLine(t *testing.T) {
	h := startHost(t, t.TempDir())
	h.send(`{"src":"c1","dest":"n0","body":{"type":"echo"}}`)
	h.send(`not json`)
	h.in.Close()
	for range h.lines {
	}
	err := <-h.done
	if err == nil || !strings.Contains(err.Error(), "stdin line 2") || !errors.Is(err, maelstrom.ErrBadLine) {
		t.Errorf("Run returned %v; want an error naming stdin line 2", err)
	}
}
