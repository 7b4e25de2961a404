package maelstrom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// pipeNode runs a Node in-process over pipes.
type pipeNode struct {
	*wire
	n    *Node
	done chan error
}

func startNode(t *testing.T, setup func(n *Node)) *pipeNode {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	n := NewNode()
	n.Stdin, n.Stdout = inR, outW
	setup(n)
	p := &pipeNode{wire: newWire(t, inW, outR), n: n, done: make(chan error, 1)}
	go func() {
		err := n.Run()
		outW.Close()
		p.done <- err
	}()
	t.Cleanup(func() { inW.Close() })
	return p
}

// stop closes stdin and returns Run's result.
func (p *pipeNode) stop() error {
	p.t.Helper()
	p.in.Close()
	for range p.lines {
		// drain, so that a handler blocked writing can finish
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(time.Minute):
		p.t.Fatal("Run did not return within a minute of stdin closing")
		return nil
	}
}

func (p *pipeNode) pendingRPCs() int {
	p.n.mu.Lock()
	defer p.n.mu.Unlock()
	return len(p.n.callbacks)
}

func TestInit(t *testing.T) {
	initSeen := make(chan []string, 1)
	var n *Node
	p := startNode(t, func(node *Node) {
		n = node
		n.Handle("init", func(msg Message) error {
			initSeen <- append([]string{n.ID()}, n.NodeIDs()...)
			return nil
		})
	})
	p.send(`{"src":"c1","dest":"n3","body":{"type":"init","msg_id":7,"node_id":"n3","node_ids":["n1","n2","n3"]}}`)
	line := <-p.lines
	if want := `{"src":"n3","dest":"c1","body":{"in_reply_to":7,"type":"init_ok"}}` + "\n"; line != want {
		t.Errorf("init reply %s, want %s", line, want)
	}
	if got, want := <-initSeen, []string{"n3", "n1", "n2", "n3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("init handler saw id, ids = %q, want %q", got, want)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorReplies(t *testing.T) {
	p := startNode(t, func(n *Node) {
		n.Handle("timeout", func(Message) error { return NewRPCError(Timeout, "slow") })
		n.Handle("wrapped", func(Message) error {
			return fmt.Errorf("context: %w", NewRPCError(KeyDoesNotExist, "no key"))
		})
		n.Handle("plain", func(Message) error { return errors.New("boom") })
		n.Handle("body", func(msg Message) error {
			return n.Reply(msg, MessageBody{Type: "error", Text: "code dropped by omitempty"})
		})
	})
	p.initNode("n0", "n0")
	p.send(`{"src":"c1","dest":"n0","body":{"type":"timeout","msg_id":2}}`)
	p.expect("c1", "type", `"error"`, "code", "0", "text", `"slow"`, "in_reply_to", "2")
	p.send(`{"src":"c1","dest":"n0","body":{"type":"wrapped","msg_id":3}}`)
	p.expect("c1", "type", `"error"`, "code", "20", "in_reply_to", "3")
	p.send(`{"src":"c1","dest":"n0","body":{"type":"plain","msg_id":4}}`)
	p.expect("c1", "type", `"error"`, "code", "13", "text", `"boom"`)
	p.send(`{"src":"c1","dest":"n0","body":{"type":"body","msg_id":5}}`)
	p.expect("c1", "type", `"error"`, "code", "0")
	// No handler: a definite error, and the node keeps running.
	p.send(`{"src":"c1","dest":"n0","body":{"type":"nope","msg_id":6}}`)
	p.expect("c1", "type", `"error"`, "code", "10", "in_reply_to", "6")
	p.send(`{"src":"c1","dest":"n0","body":{"type":"timeout","msg_id":7}}`)
	p.expect("c1", "in_reply_to", "7")
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestMessageRPCError(t *testing.T) {
	for _, tc := range []struct {
		body string
		want *RPCError
	}{
		{`{"type":"error","code":0,"text":"t"}`, &RPCError{Code: 0, Text: "t"}},
		{`{"type":"error"}`, &RPCError{Code: 0}},
		{`{"type":"error","code":22}`, &RPCError{Code: 22}},
		{`{"type":"read_ok","code":5}`, nil},
		{`{"type":"read_ok"}`, nil},
		{`not json`, &RPCError{Code: Crash, Text: "invalid character 'o' in literal null (expecting 'u')"}},
	} {
		m := Message{Body: json.RawMessage(tc.body)}
		if got := m.RPCError(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("RPCError of %s = %#v, want %#v", tc.body, got, tc.want)
		}
	}
	if got := (Message{Body: json.RawMessage(`{"type":"x_ok"}`)}).Type(); got != "x_ok" {
		t.Errorf("Type() = %q", got)
	}
}

func TestRPCErrorJSON(t *testing.T) {
	b, err := json.Marshal(NewRPCError(Timeout, ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"error","code":0}`; string(b) != want {
		t.Errorf("timeout error encodes as %s, want %s", b, want)
	}
	if got := ErrorCodeText(PreconditionFailed); got != "PreconditionFailed" {
		t.Errorf("ErrorCodeText(22) = %q", got)
	}
	if got := ErrorCodeText(1999); got != "ErrorCode<1999>" {
		t.Errorf("ErrorCodeText(1999) = %q", got)
	}
}

func TestReplyKeepsLargeIntegers(t *testing.T) {
	p := startNode(t, func(n *Node) {
		n.Handle("big", func(msg Message) error {
			return n.Reply(msg, struct {
				Type  string `json:"type"`
				Value int64  `json:"value"`
			}{"big_ok", 9007199254740993})
		})
		n.Handle("num", func(msg Message) error {
			// A handler that decodes with UseNumber and echoes the map.
			dec := json.NewDecoder(bytes.NewReader(msg.Body))
			dec.UseNumber()
			var body map[string]any
			if err := dec.Decode(&body); err != nil {
				return err
			}
			body["type"] = "num_ok"
			return n.Reply(msg, body)
		})
	})
	p.initNode("n0", "n0")
	p.send(`{"src":"c1","dest":"n0","body":{"type":"big","msg_id":2}}`)
	p.expect("c1", "value", "9007199254740993")
	p.send(`{"src":"c1","dest":"n0","body":{"type":"num","msg_id":3,"value":-9223372036854775807}}`)
	p.expect("c1", "value", "-9223372036854775807", "in_reply_to", "3", "msg_id", "3")
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeValue(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want any
	}{
		{`9007199254740993`, 9007199254740993},
		{`-5`, -5},
		{`1e3`, 1000},
		{`1.5`, 1.5},
		{`18446744073709551616`, 18446744073709551616.0},
		{`"x"`, "x"},
		{`[1,2]`, []any{1.0, 2.0}},
		{`null`, nil},
	} {
		got, err := decodeValue(json.RawMessage(tc.raw))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decodeValue(%s) = %#v, %v; want %#v", tc.raw, got, err, tc.want)
		}
	}
}

func TestLongLine(t *testing.T) {
	text := strings.Repeat("x", 1<<20)
	in := fmt.Sprintf(`{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":2,"echo":%q}}`+"\n", text)
	var out bytes.Buffer
	n := NewNode()
	n.Stdin, n.Stdout = strings.NewReader(in), &out
	n.Init("n0", []string{"n0"})
	n.Handle("echo", func(msg Message) error {
		var body map[string]any
		if err := json.Unmarshal(msg.Body, &body); err != nil {
			return err
		}
		body["type"] = "echo_ok"
		return n.Reply(msg, body)
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	m, err := ParseLine(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	body, err := Decode[struct{ Echo string }](m)
	if err != nil || body.Echo != text {
		t.Errorf("echo of 1 MiB came back with %d bytes, %v", len(body.Echo), err)
	}
}

// Run returns only when the handlers it started have finished.
func TestRunWaitsForHandlers(t *testing.T) {
	var out bytes.Buffer
	n := NewNode()
	n.Stdin = strings.NewReader(`{"src":"c1","dest":"n0","body":{"type":"slow","msg_id":2}}` + "\n")
	n.Stdout = &out
	n.Handle("slow", func(msg Message) error {
		time.Sleep(50 * time.Millisecond)
		return n.Reply(msg, MessageBody{Type: "slow_ok"})
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "slow_ok") {
		t.Errorf("Run returned before the handler replied; stdout %q", out.String())
	}
}

func TestBadLineStopsRun(t *testing.T) {
	n := NewNode()
	n.Stdin, n.Stdout = strings.NewReader("{oops\n"), io.Discard
	if err := n.Run(); err == nil || !strings.Contains(err.Error(), "{oops") {
		t.Errorf("Run on a bad line returned %v; want an error quoting the line", err)
	}
}

func TestSyncRPC(t *testing.T) {
	results := make(chan string, 1)
	p := startNode(t, func(n *Node) {
		n.Handle("ask", func(msg Message) error {
			resp, err := n.SyncRPC(context.Background(), "svc", map[string]any{"type": "q"})
			if err != nil {
				results <- fmt.Sprintf("%d", ErrorCode(err))
				return nil
			}
			results <- resp.Type()
			return nil
		})
	})
	p.initNode("n0", "n0")
	for i, answer := range []struct{ body, want string }{
		{`{"type":"q_ok"}`, "q_ok"},
		{`{"type":"error","code":0}`, "0"},
		{`{"type":"error","code":11}`, "11"},
	} {
		p.send(`{"src":"c1","dest":"n0","body":{"type":"ask","msg_id":%d}}`, i+2)
		req := p.expect("svc", "type", `"q"`)
		p.send(`{"src":"svc","dest":"n0","body":{"in_reply_to":%s,%s}`, req.field("msg_id"), answer.body[1:])
		if got := <-results; got != answer.want {
			t.Errorf("SyncRPC answered with %s gave %s, want %s", answer.body, got, answer.want)
		}
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
}

// A cancelled SyncRPC leaves no callback and no goroutine behind, and its
// late reply is ignored.
func TestSyncRPCCancelled(t *testing.T) {
	baseline := runtime.NumGoroutine()
	results := make(chan error, 1)
	p := startNode(t, func(n *Node) {
		n.Handle("ask", func(msg Message) error {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			_, err := n.SyncRPC(ctx, "svc", map[string]any{"type": "q"})
			results <- err
			return nil
		})
	})
	p.initNode("n0", "n0")
	p.send(`{"src":"c1","dest":"n0","body":{"type":"ask","msg_id":2}}`)
	req := p.expect("svc")
	if err := <-results; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("SyncRPC returned %v, want context.DeadlineExceeded", err)
	}
	if n := p.pendingRPCs(); n != 0 {
		t.Errorf("%d callbacks pending after the SyncRPC gave up", n)
	}
	p.send(`{"src":"svc","dest":"n0","body":{"type":"q_ok","in_reply_to":%s}}`, req.field("msg_id"))
	p.expectSilence()
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, baseline)
}

// A SyncRPC without deadline ends when stdin does, so Run can return.
func TestSyncRPCReleasedAtEOF(t *testing.T) {
	results := make(chan error, 1)
	p := startNode(t, func(n *Node) {
		n.Handle("ask", func(msg Message) error {
			_, err := n.SyncRPC(context.Background(), "svc", map[string]any{"type": "q"})
			results <- err
			return nil
		})
	})
	p.initNode("n0", "n0")
	p.send(`{"src":"c1","dest":"n0","body":{"type":"ask","msg_id":2}}`)
	p.expect("svc")
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	if err := <-results; !errors.Is(err, ErrClosed) {
		t.Errorf("SyncRPC returned %v, want ErrClosed", err)
	}
}

// Many handlers at once, each waiting on an RPC: every one gets its own
// reply. Run under -race to check the locking.
func TestConcurrentHandlers(t *testing.T) {
	const count = 100
	p := startNode(t, func(n *Node) {
		n.Handle("add", func(msg Message) error {
			var body struct{ X int }
			if err := json.Unmarshal(msg.Body, &body); err != nil {
				return err
			}
			resp, err := n.SyncRPC(context.Background(), "svc", map[string]any{"type": "double", "x": body.X})
			if err != nil {
				return err
			}
			var r struct{ Y int }
			if err := json.Unmarshal(resp.Body, &r); err != nil {
				return err
			}
			return n.Reply(msg, map[string]any{"type": "add_ok", "y": r.Y, "id": n.ID()})
		})
	})
	p.initNode("n0", "n0")
	for i := range count {
		p.send(`{"src":"c1","dest":"n0","body":{"type":"add","msg_id":%d,"x":%d}}`, i+2, i)
	}
	got := map[string]string{} // in_reply_to -> y
	for range 2 * count {
		m := p.recv()
		switch m.Dest {
		case "svc":
			var x int
			if err := json.Unmarshal(m.Body["x"], &x); err != nil {
				t.Fatalf("request to svc without x: %s", short(m.Body))
			}
			p.send(`{"src":"svc","dest":"n0","body":{"type":"double_ok","in_reply_to":%s,"y":%d}}`, m.field("msg_id"), 2*x)
		case "c1":
			got[m.field("in_reply_to")] = m.field("y")
		}
	}
	for i := range count {
		if y := got[fmt.Sprint(i+2)]; y != fmt.Sprint(2*i) {
			t.Errorf("request %d: y = %q, want %d", i+2, y, 2*i)
		}
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
}

// waitGoroutines waits for the goroutine count to fall back to baseline.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
