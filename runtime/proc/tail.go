package proc

import (
	"strings"
	"sync"
)

// tailWidth caps each kept stderr line, in bytes.
const tailWidth = 200

// tail keeps the last tailLines lines a child wrote to stderr.
type tail struct {
	mu      sync.Mutex
	ring    [tailLines]string
	n       int  // lines started so far
	partial bool // the newest line has not ended yet
}

// add takes a line, or a piece of one when it is longer than the reader's
// buffer (it then has no trailing newline).
func (t *tail) add(chunk []byte) {
	complete := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
	if len(chunk) > tailWidth+1 {
		chunk = chunk[:tailWidth+1] // enough to know it is too long
	}
	text := strings.TrimRight(string(chunk), "\r\n")
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.partial && t.n > 0 {
		i := (t.n - 1) % tailLines
		t.ring[i] = cut(t.ring[i] + text)
	} else {
		t.ring[t.n%tailLines] = cut(text)
		t.n++
	}
	t.partial = !complete
}

// lines returns the kept lines, oldest first.
func (t *tail) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := min(t.n, tailLines)
	out := make([]string, 0, k)
	for i := t.n - k; i < t.n; i++ {
		out = append(out, t.ring[i%tailLines])
	}
	return out
}

// cut shortens s to tailWidth bytes and marks it; cutting again gives the
// same result, since the kept prefix is the same.
func cut(s string) string {
	if len(s) <= tailWidth {
		return s
	}
	return strings.ToValidUTF8(s[:tailWidth], "") + "..."
}
