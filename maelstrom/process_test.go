package maelstrom

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests build the nodes in testdata, written as Maelstrom solutions
// are, and drive them as child processes over their stdin and stdout.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func buildTestNodes(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the test nodes")
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "maelstrom-nodes")
		if buildErr != nil {
			return
		}
		cmd := exec.Command(goBin, "build", "-o", binDir+string(filepath.Separator), "./testdata/echo", "./testdata/counter")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{err, out}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// startBinary starts a test node and returns its wire; closing stdin must
// make it exit cleanly.
func startBinary(t *testing.T, name string) *wire {
	t.Helper()
	cmd := exec.Command(filepath.Join(buildTestNodes(t), name))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
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
	w := newWire(t, in, out)
	t.Cleanup(func() {
		in.Close()
		exited := make(chan error, 1)
		go func() {
			for range w.lines {
			}
			exited <- cmd.Wait()
		}()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("%s exited with %v after stdin closed; stderr:\n%s", name, err, stderr.String())
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Errorf("%s still running a minute after stdin closed", name)
		}
	})
	return w
}

func TestEchoBinary(t *testing.T) {
	w := startBinary(t, "echo")
	w.initNode("n1", "n1", "n2")

	w.send(`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"echo":"hello"}}`)
	w.expect("c1", "type", `"echo_ok"`, "echo", `"hello"`, "in_reply_to", "2")

	// A 1 MiB line: past the 64 KiB a default bufio.Scanner allows.
	big := strings.Repeat("y", 1<<20)
	w.send(`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":3,"echo":%q}}`, big)
	w.expect("c1", "echo", `"`+big+`"`, "in_reply_to", "3")

	// 2^53+1 through a typed handler and Reply.
	w.send(`{"src":"c1","dest":"n1","body":{"type":"big","msg_id":4,"value":9007199254740993}}`)
	w.expect("c1", "type", `"big_ok"`, "value", "9007199254740993")

	// A handler's timeout error keeps its code 0 on the wire.
	w.send(`{"src":"c1","dest":"n1","body":{"type":"slow","msg_id":5}}`)
	w.expect("c1", "type", `"error"`, "code", "0", "text", `"too slow"`)

	// ReadInt through lin-kv keeps 2^53+1 exact.
	w.send(`{"src":"c1","dest":"n1","body":{"type":"get","msg_id":6,"key":"k"}}`)
	read := w.expect("lin-kv", "type", `"read"`, "key", `"k"`)
	w.send(`{"src":"lin-kv","dest":"n1","body":{"type":"read_ok","in_reply_to":%s,"value":9007199254740993}}`, read.field("msg_id"))
	w.expect("c1", "type", `"get_ok"`, "value", "9007199254740993", "in_reply_to", "6")

	// An error code 0 from lin-kv reaches the handler as an *RPCError with
	// code 0, which the library passes on to the client.
	w.send(`{"src":"c1","dest":"n1","body":{"type":"get","msg_id":7,"key":"k"}}`)
	read = w.expect("lin-kv", "type", `"read"`)
	w.send(`{"src":"lin-kv","dest":"n1","body":{"type":"error","in_reply_to":%s,"code":0,"text":"kv timed out"}}`, read.field("msg_id"))
	w.expect("c1", "type", `"error"`, "code", "0", "text", `"kv timed out"`, "in_reply_to", "7")
}

// The g-counter of Gossip Glomers, on a seq-kv the test plays.
func TestCounterBinary(t *testing.T) {
	w := startBinary(t, "counter")
	w.initNode("n0", "n0", "n1")

	// First add: the key does not exist yet, so cas 0 -> 5 creating it.
	w.send(`{"src":"c1","dest":"n0","body":{"type":"add","msg_id":2,"delta":5}}`)
	m := w.expect("seq-kv", "type", `"read"`, "key", `"counter"`)
	w.send(`{"src":"seq-kv","dest":"n0","body":{"type":"error","in_reply_to":%s,"code":20}}`, m.field("msg_id"))
	m = w.expect("seq-kv", "type", `"cas"`, "from", "0", "to", "5", "create_if_not_exists", "true")
	w.send(`{"src":"seq-kv","dest":"n0","body":{"type":"cas_ok","in_reply_to":%s}}`, m.field("msg_id"))
	w.expect("c1", "type", `"add_ok"`, "in_reply_to", "2")

	// Second add races with another node: the first cas fails, the retry
	// reads the new value.
	w.send(`{"src":"c1","dest":"n0","body":{"type":"add","msg_id":3,"delta":2}}`)
	m = w.expect("seq-kv", "type", `"read"`)
	w.send(`{"src":"seq-kv","dest":"n0","body":{"type":"read_ok","in_reply_to":%s,"value":5}}`, m.field("msg_id"))
	m = w.expect("seq-kv", "type", `"cas"`, "from", "5", "to", "7")
	w.send(`{"src":"seq-kv","dest":"n0","body":{"type":"error","in_reply_to":%s,"code":22}}`, m.field("msg_id"))
	m = w.expect("seq-kv", "type", `"read"`)
	w.send(`{"src":"seq-kv","dest":"n0","body":{"type":"read_ok","in_reply_to":%s,"value":6}}`, m.field("msg_id"))
	m = w.expect("seq-kv", "type", `"cas"`, "from", "6", "to", "8")
	w.send(`{"src":"seq-kv","dest":"n0","body":{"type":"cas_ok","in_reply_to":%s}}`, m.field("msg_id"))
	w.expect("c1", "type", `"add_ok"`, "in_reply_to", "3")

	w.send(`{"src":"c1","dest":"n0","body":{"type":"read","msg_id":4}}`)
	m = w.expect("seq-kv", "type", `"write"`, "key", `"fresh-n0"`, "value", "1")
	w.send(`{"src":"seq-kv","dest":"n0","body":{"type":"write_ok","in_reply_to":%s}}`, m.field("msg_id"))
	m = w.expect("seq-kv", "type", `"read"`)
	w.send(`{"src":"seq-kv","dest":"n0","body":{"type":"read_ok","in_reply_to":%s,"value":8}}`, m.field("msg_id"))
	w.expect("c1", "type", `"read_ok"`, "value", "8", "in_reply_to", "4")
}
