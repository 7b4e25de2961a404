package nodehost

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openTestStore(t *testing.T, dir string) (*fileStore, *strings.Builder) {
	t.Helper()
	var log strings.Builder
	s, err := openStore(dir, func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.close() })
	return s, &log
}

func wantValue(t *testing.T, s *fileStore, key, want string, wantOK bool) {
	t.Helper()
	v, ok := s.Get(key)
	if string(v) != want || ok != wantOK {
		t.Errorf("Get(%q) = %q, %v; want %q, %v", key, v, ok, want, wantOK)
	}
}

func TestStoreReplay(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTestStore(t, dir)
	buf := []byte("v1")
	s.Put("a", buf)
	buf[0] = 'X' // the store keeps its own copy
	s.Put("a", []byte("v2"))
	s.Put("b", nil)
	s.Put("c", []byte("c"))
	s.Delete("c")
	s.Delete("never-there")
	s.Sync()
	s.close()

	s, log := openTestStore(t, dir)
	wantValue(t, s, "a", "v2", true)
	wantValue(t, s, "b", "", true)
	wantValue(t, s, "c", "", false)
	if log.Len() != 0 {
		t.Errorf("clean replay logged %q", log)
	}
}

// A torn or damaged tail, as a power failure leaves, is cut off; the
// records before it survive and new writes land after them.
func TestStoreTornTail(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"truncated": func(b []byte) []byte { return b[:len(b)-3] },
		"bad crc":   func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b },
		"garbage":   func(b []byte) []byte { return append(b, "\x01\xff\xff\xff"...) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := openTestStore(t, dir)
			s.Put("kept", []byte("yes"))
			s.Put("torn", []byte("maybe"))
			s.close()
			path := filepath.Join(dir, logName)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, damage(b), 0o644); err != nil {
				t.Fatal(err)
			}

			s, log := openTestStore(t, dir)
			wantValue(t, s, "kept", "yes", true)
			if name == "garbage" {
				wantValue(t, s, "torn", "maybe", true)
			} else {
				wantValue(t, s, "torn", "", false)
			}
			if !strings.Contains(log.String(), "dropping") {
				t.Errorf("no log line about the dropped tail; log %q", log)
			}
			s.Put("after", []byte("ok"))
			s.close()

			s, _ = openTestStore(t, dir)
			wantValue(t, s, "kept", "yes", true)
			wantValue(t, s, "after", "ok", true)
		})
	}
}

// Overwriting one key again and again keeps the file small.
func TestStoreCompaction(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTestStore(t, dir)
	value := bytes.Repeat([]byte("v"), 1000)
	for i := range 5000 {
		value[0] = byte('0' + i%10)
		s.Put("k", value)
	}
	s.Put("other", []byte("x"))
	s.close()
	info, err := os.Stat(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 3*compactSlack {
		t.Errorf("store.log is %d bytes after 5 MB of overwrites of one 1 KB value", info.Size())
	}
	s, _ = openTestStore(t, dir)
	value[0] = '9'
	wantValue(t, s, "k", string(value), true)
	wantValue(t, s, "other", "x", true)
	if _, err := os.Stat(filepath.Join(dir, logName+".tmp")); !os.IsNotExist(err) {
		t.Errorf("compaction left its temporary file: %v", err)
	}
}
