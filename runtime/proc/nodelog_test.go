package proc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var cutLine = regexp.MustCompile(`\n=== ddbbench: (\d+) bytes of this log were cut here: [^\n]*===\n`)

// Whatever is written, in whatever pieces: a log within its limit is kept
// whole; past it, the file holds the first half of the limit as written,
// a line saying how many bytes were cut, and then the end of what was
// written from a line start, at most half the limit; head, cut and tail
// add up to everything written.
func TestNodeLogKeepsHeadAndTail(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		limit := rapid.Int64Range(2, 300).Draw(rt, "limit")
		path := filepath.Join(t.TempDir(), "n0.log")
		l, err := openNodeLog(path, limit)
		if err != nil {
			rt.Fatal(err)
		}
		var all []byte
		for i, n := range rapid.SliceOf(rapid.IntRange(0, 200)).Draw(rt, "writes") {
			chunk := []byte(strings.Repeat(string(rune('a'+i%26)), n))
			if rapid.Bool().Draw(rt, "newline") {
				chunk = append(chunk, '\n')
			}
			all = append(all, chunk...)
			l.write(chunk)
		}
		l.close()
		got, err := os.ReadFile(path)
		if err != nil {
			rt.Fatal(err)
		}
		cut, written := l.Cut()
		if written != int64(len(all)) {
			rt.Fatalf("written %d, want %d", written, len(all))
		}
		if int64(len(all)) <= limit {
			if !bytes.Equal(got, all) || cut != 0 {
				rt.Fatalf("a log within its limit changed (cut %d):\n%q\n%q", cut, got, all)
			}
			return
		}
		head := limit - limit/2
		if !bytes.HasPrefix(got, all[:head]) {
			rt.Fatalf("head %q is not the start of %q", got[:min(head, int64(len(got)))], all)
		}
		rest := got[head:]
		if cut == 0 {
			// Everything past the head fit in the ring.
			if !bytes.Equal(rest, all[head:]) {
				rt.Fatalf("uncut tail %q, want %q", rest, all[head:])
			}
			return
		}
		m := cutLine.FindSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			rt.Fatalf("no cut line right after the head: %q", rest)
		}
		said, _ := strconv.ParseInt(string(rest[m[2]:m[3]]), 10, 64)
		tail := rest[m[1]:]
		if said != cut || head+cut+int64(len(tail)) != int64(len(all)) {
			rt.Fatalf("head %d + cut %d (line says %d) + tail %d != %d written", head, cut, said, len(tail), len(all))
		}
		if !bytes.HasSuffix(all, tail) || int64(len(tail)) > limit/2 {
			rt.Fatalf("tail %q is not the end of what was written, within %d bytes", tail, limit/2)
		}
		// It starts at a line start, unless the whole tail is one line's end.
		if start := int64(len(all)) - int64(len(tail)); len(tail) > 0 && all[start-1] != '\n' && bytes.IndexByte(tail, '\n') >= 0 {
			rt.Fatalf("tail starts mid-line: %q", tail)
		}
	})
}

func TestNodeLogWithoutLimitKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n0.log")
	l, err := openNodeLog(path, -1)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("0123456789\n", 10000)
	l.write([]byte(want))
	l.close()
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Fatalf("%d bytes kept of %d", len(got), len(want))
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 64 << 20: "64 MiB", 3 << 29: "1.5 GiB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// A node flooding stderr: its log stays within the limit (plus the cut
// line), keeps how it started and how it ended, and the cluster reports
// the cut.
func TestFloodingStderrIsCutToTheLimit(t *testing.T) {
	const limit = 64 << 10
	flood := `read line; echo '{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}'; exec yes "flooding stderr" >&2`
	r := mustStart(t, options{command: []string{"/bin/sh", "-c", flood}, edit: func(c *Config) { c.LogLimit = limit }})
	p := r.c.Process("n0")
	r.until(time.Minute, func() bool { _, written := p.LogCut(); return written > 20*limit })
	r.c.Close()
	b, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > limit+300 {
		t.Fatalf("log of %d bytes, limit %d", len(b), limit)
	}
	s := string(b)
	mustContain(t, "log", s, "=== ddbbench: n0 incarnation 1 started", "flooding stderr\n", "bytes of this log were cut here", "killed by the harness")
	if !strings.HasSuffix(s, "killed by the harness\n") {
		t.Fatalf("the log does not end with the node's end:\n%s", s[len(s)-200:])
	}
	cuts := r.c.LogsCut()
	if len(cuts) != 1 || cuts[0].Node != "n0" || cuts[0].Limit != limit || cuts[0].Cut < 19*limit || cuts[0].Written < cuts[0].Cut+int64(len(b))-300 {
		t.Fatalf("LogsCut = %+v, log file %d bytes", cuts, len(b))
	}
	if !strings.Contains(s, fmt.Sprintf("=== ddbbench: %d bytes of this log were cut here", cuts[0].Cut)) {
		t.Fatal("the cut line and LogsCut disagree")
	}
}
