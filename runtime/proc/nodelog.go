package proc

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// DefaultLogLimit is Config.LogLimit's default: 64 MiB per node.
const DefaultLogLimit = 64 << 20

// nodeLog is a node's stderr log file, shared by its incarnations (a killed
// child's last lines may still be arriving when the next one starts).
//
// It keeps at most limit bytes: the first half as written, and the last
// half in a ring in a side file, so that a node flooding stderr costs
// neither unbounded disk nor memory. On close the kept tail is appended
// after a line saying how much was cut. The start of a log shows how a
// node came up, its end what it did last: both matter more than the middle.
type nodeLog struct {
	mu       sync.Mutex
	f        *os.File
	path     string
	headLeft int64 // bytes the head may still take
	ring     *os.File
	ringCap  int64
	ringLen  int64 // bytes written to the ring, ever
	written  int64 // bytes written to the log, ever
	limit    int64
	cut      int64 // set by close: bytes that were not kept
}

// openNodeLog opens (appending to) the log at path, capped at limit bytes
// (DefaultLogLimit when 0, none when negative).
func openNodeLog(path string, limit int64) (*nodeLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = DefaultLogLimit
	}
	if limit > 0 {
		limit = max(limit, 2) // a byte of head and one of tail
	}
	l := &nodeLog{f: f, path: path, limit: limit, headLeft: -1}
	if limit > 0 {
		l.headLeft = limit - limit/2
		l.ringCap = limit / 2
	}
	return l, nil
}

// write appends b; errors are ignored, a log must not end the run.
func (l *nodeLog) write(b []byte) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	l.written += int64(len(b))
	if l.headLeft < 0 { // no limit
		_, _ = l.f.Write(b)
		return
	}
	if l.headLeft > 0 {
		n := min(int64(len(b)), l.headLeft)
		_, _ = l.f.Write(b[:n])
		l.headLeft -= n
		b = b[n:]
	}
	if len(b) > 0 && l.ringCap > 0 {
		l.toRing(b)
	}
}

// toRing writes b at the ring's current position, wrapping around.
func (l *nodeLog) toRing(b []byte) {
	if l.ring == nil {
		ring, err := os.CreateTemp(filepath.Dir(l.path), "."+filepath.Base(l.path)+".tail-")
		if err != nil {
			return // the tail is lost; the head is still there
		}
		_ = os.Remove(ring.Name()) // gone once closed, even if we crash
		l.ring = ring
	}
	if int64(len(b)) > l.ringCap {
		l.ringLen += int64(len(b)) - l.ringCap
		b = b[int64(len(b))-l.ringCap:]
	}
	for len(b) > 0 {
		at := l.ringLen % l.ringCap
		n := min(int64(len(b)), l.ringCap-at)
		_, _ = l.ring.WriteAt(b[:n], at)
		l.ringLen += n
		b = b[n:]
	}
}

func (l *nodeLog) printf(format string, args ...any) {
	if l != nil {
		l.write(fmt.Appendf(nil, format, args...))
	}
}

// close appends the kept tail (after a line saying what was cut) and
// closes the file.
func (l *nodeLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	if l.ring != nil {
		l.appendTail()
		_ = l.ring.Close()
		l.ring = nil
	}
	_ = l.f.Close()
	l.f = nil
}

func (l *nodeLog) appendTail() {
	kept := min(l.ringLen, l.ringCap)
	l.cut = l.ringLen - kept
	if l.cut == 0 {
		_, _ = io.Copy(l.f, l.ringFrom(0, kept))
		return
	}
	// Resume at a line start, since a line's remains would read as a
	// line; but keep the end of one endless line rather than nothing.
	skip := int64(0)
	br := bufio.NewReader(l.ringFrom(0, kept))
	for {
		chunk, err := br.ReadSlice('\n')
		skip += int64(len(chunk))
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			skip = 0
		}
		break
	}
	l.cut += skip
	fmt.Fprintf(l.f, "\n=== ddbbench: %d bytes of this log were cut here: a node's log keeps its first and last %s (limit %s, --node-log-limit) ===\n",
		l.cut, formatSize(l.limit/2), formatSize(l.limit))
	_, _ = io.Copy(l.f, l.ringFrom(skip, kept))
}

// ringFrom reads the kept bytes of the ring in the order they were
// written, oldest first, skipping the first from of them.
func (l *nodeLog) ringFrom(from, kept int64) io.Reader {
	oldest := int64(0)
	if l.ringLen > l.ringCap {
		oldest = l.ringLen % l.ringCap
	}
	at := (oldest + from) % l.ringCap
	n := kept - from
	first := min(n, l.ringCap-at)
	return io.MultiReader(io.NewSectionReader(l.ring, at, first), io.NewSectionReader(l.ring, 0, n-first))
}

// Cut reports how many bytes the log did not keep (known once closed)
// and how many were written to it in all.
func (l *nodeLog) Cut() (cut, written int64) {
	if l == nil {
		return 0, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cut, l.written
}

// formatSize writes a byte count the way people read it: 64 MiB, 1.5 GiB.
func formatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	if v == float64(int64(v)) {
		s = fmt.Sprintf("%d", int64(v))
	}
	return s + " " + string("KMGTPE"[exp]) + "iB"
}
