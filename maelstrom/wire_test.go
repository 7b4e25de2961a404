package maelstrom

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// wire is the test's end of a node's stdin and stdout.
type wire struct {
	t     *testing.T
	in    io.WriteCloser
	lines chan string // stdout, one line each; closed at EOF
}

func newWire(t *testing.T, in io.WriteCloser, out io.Reader) *wire {
	w := &wire{t: t, in: in, lines: make(chan string, 64)}
	go func() {
		defer close(w.lines)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				w.lines <- line
			}
			if err != nil {
				return
			}
		}
	}()
	return w
}

func (w *wire) send(format string, args ...any) {
	w.t.Helper()
	if _, err := fmt.Fprintf(w.in, format+"\n", args...); err != nil {
		w.t.Fatalf("write to node: %v", err)
	}
}

// wireMsg is a line the node wrote, its body split into raw fields so that
// numbers are compared exactly as written.
type wireMsg struct {
	Src, Dest string
	Body      map[string]json.RawMessage
}

func (m wireMsg) field(name string) string { return string(m.Body[name]) }

func (w *wire) recv() wireMsg {
	w.t.Helper()
	select {
	case line, ok := <-w.lines:
		if !ok {
			w.t.Fatal("node closed its stdout")
		}
		var m wireMsg
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			w.t.Fatalf("node wrote %.200q: %v", line, err)
		}
		// The harness must be able to read everything the library writes.
		if _, err := ParseLine([]byte(line)); err != nil {
			w.t.Fatalf("ParseLine(%.200q): %v", line, err)
		}
		return m
	case <-time.After(time.Minute):
		w.t.Fatal("no message from node within a minute")
	}
	panic("unreachable")
}

// expect receives a message and checks the body fields given as name, raw
// JSON pairs.
func (w *wire) expect(dest string, fields ...string) wireMsg {
	w.t.Helper()
	m := w.recv()
	if m.Dest != dest {
		w.t.Errorf("message %v: dest %q, want %q", m.Body, m.Dest, dest)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if got := m.field(fields[i]); got != fields[i+1] {
			w.t.Errorf("message to %s: %s = %s, want %s (body %s)", m.Dest, fields[i], got, fields[i+1], short(m.Body))
		}
	}
	return m
}

func short(body map[string]json.RawMessage) string {
	b, _ := json.Marshal(body)
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// expectSilence checks that the node writes nothing for a little while.
func (w *wire) expectSilence() {
	w.t.Helper()
	select {
	case line := <-w.lines:
		w.t.Errorf("unexpected message %.200s", line)
	case <-time.After(50 * time.Millisecond):
	}
}

func (w *wire) initNode(id string, ids ...string) {
	w.t.Helper()
	w.send(`{"src":"c0","dest":%q,"body":{"type":"init","msg_id":1,"node_id":%q,"node_ids":["%s"]}}`, id, id, strings.Join(ids, `","`))
	w.expect("c0", "type", `"init_ok"`, "in_reply_to", "1")
}
