package nodehost

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// fileStore is the node's durable store (nodes.Store): a map in memory,
// backed by an append-only log file, store.log, replayed when the host starts.
//
// Durability. Each Put and Delete is written to the file at once, with one
// write system call, before the node can send anything that depends on it.
// From then on it is in the OS page cache: it survives a kill of the process
// (SIGKILL) but not a power failure or kernel crash. Sync calls fsync, after
// which every earlier write survives those too. That is the simulator's
// contract: a process crash keeps unsynced writes; a machine crash, which
// the simulator can be asked to model, may lose them.
//
// A record is: op (1 put, 2 delete), uvarint key length, key, for a put a
// uvarint value length and the value, then the CRC-32C of all the record's
// preceding bytes. A power failure can leave a torn last record; replay stops
// at the first record that is short or fails its checksum and cuts the file
// there. (Damage in the middle of the file loses everything after it too:
// the log cannot tell the two apart, and the store is meant to be small.)
//
// The log is compacted (rewritten with only the current values, then renamed
// over the old one) when dead records outweigh live ones and a megabyte.
type fileStore struct {
	dir   string
	f     *os.File // opened for appending
	data  map[string][]byte
	size  int64 // bytes in the file
	live  int64 // bytes of the records that hold the current values
	dirty bool  // written since the last fsync
}

const (
	logName = "store.log"

	opPut    = 1
	opDelete = 2

	compactSlack = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// openStore opens or creates the store in dir and replays it.
func openStore(dir string, logf func(string, ...any)) (*fileStore, error) {
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("nodehost: store: %w", err)
	}
	path := filepath.Join(dir, logName)
	content, err := os.ReadFile(path)
	created := os.IsNotExist(err)
	if err != nil && !created {
		return nil, fmt.Errorf("nodehost: store: %w", err)
	}

	s := &fileStore{dir: dir, data: map[string][]byte{}}
	for len(content[s.size:]) > 0 {
		op, key, val, n := parseRecord(content[s.size:])
		if n == 0 {
			logf("store: %s: dropping %d bytes of torn or damaged records from offset %d", path, int64(len(content))-s.size, s.size)
			if err := os.Truncate(path, s.size); err != nil {
				return nil, fmt.Errorf("nodehost: store: %w", err)
			}
			break
		}
		// Copy, so that the file's bytes (dead records too) can be freed.
		s.apply(op, string(key), append([]byte{}, val...), n)
	}

	if s.f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err != nil {
		return nil, fmt.Errorf("nodehost: store: %w", err)
	}
	if created {
		// fsync makes a file's contents durable, not its name.
		if err := syncDir(dir); err != nil {
			s.f.Close()
			return nil, fmt.Errorf("nodehost: store: %w", err)
		}
	}
	if s.wasteful() {
		if err := s.compact(); err != nil {
			s.f.Close()
			return nil, fmt.Errorf("nodehost: store: %w", err)
		}
	}
	return s, nil
}

func (s *fileStore) Get(key string) ([]byte, bool) {
	v, ok := s.data[key]
	return v, ok
}

func (s *fileStore) Put(key string, value []byte) {
	value = append([]byte{}, value...) // the caller may reuse its slice
	s.append(opPut, key, value)
}

func (s *fileStore) Delete(key string) {
	if _, ok := s.data[key]; ok {
		s.append(opDelete, key, nil)
	}
}

// Sync makes every earlier write durable. A failure panics, crashing the
// node: it must not go on to acknowledge what may not be on disk.
func (s *fileStore) Sync() {
	if !s.dirty {
		return
	}
	if err := s.f.Sync(); err != nil {
		panic(fmt.Sprintf("nodehost: store: %v", err))
	}
	s.dirty = false
}

func (s *fileStore) close() error { return s.f.Close() }

// append writes one record and applies it. A write error panics, as in Sync.
func (s *fileStore) append(op byte, key string, value []byte) {
	rec := appendRecord(nil, op, key, value)
	if _, err := s.f.Write(rec); err != nil {
		panic(fmt.Sprintf("nodehost: store: %v", err))
	}
	s.dirty = true
	s.apply(op, key, value, int64(len(rec)))
	if s.wasteful() {
		if err := s.compact(); err != nil {
			panic(fmt.Sprintf("nodehost: store: compacting: %v", err))
		}
	}
}

// apply updates the map and the byte counts for a record of size n.
func (s *fileStore) apply(op byte, key string, value []byte, n int64) {
	if old, ok := s.data[key]; ok {
		s.live -= recordSize(key, old)
	}
	if op == opPut {
		s.data[key] = value
		s.live += n
	} else {
		delete(s.data, key)
	}
	s.size += n
}

func (s *fileStore) wasteful() bool {
	dead := s.size - s.live
	return dead > s.live && dead > compactSlack
}

// compact rewrites the log with the current values only. The new file is
// complete and synced before it replaces the old one, so a crash at any
// point leaves one or the other.
func (s *fileStore) compact() error {
	var content []byte
	for k, v := range s.data {
		content = appendRecord(content, opPut, k, v)
	}
	path := filepath.Join(s.dir, logName)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err = f.Write(content); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	newF, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	s.f.Close()
	s.f = newF
	s.size, s.live, s.dirty = int64(len(content)), int64(len(content)), false
	return nil
}

func appendRecord(dst []byte, op byte, key string, value []byte) []byte {
	start := len(dst)
	dst = append(dst, op)
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	if op == opPut {
		dst = binary.AppendUvarint(dst, uint64(len(value)))
		dst = append(dst, value...)
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// recordSize is len(appendRecord(nil, opPut, key, value)).
func recordSize(key string, value []byte) int64 {
	return int64(1+uvarintLen(len(key))+len(key)+uvarintLen(len(value))+len(value)) + 4
}

func uvarintLen(x int) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// parseRecord decodes the record at the start of b and returns its length,
// or 0 when b does not start with a whole, intact record.
func parseRecord(b []byte) (op byte, key, value []byte, n int64) {
	if len(b) == 0 || (b[0] != opPut && b[0] != opDelete) {
		return 0, nil, nil, 0
	}
	op, i := b[0], 1
	field := func() ([]byte, bool) {
		l, k := binary.Uvarint(b[i:])
		if k <= 0 || l > uint64(len(b)-i-k) {
			return nil, false
		}
		i += k
		f := b[i : i+int(l) : i+int(l)]
		i += int(l)
		return f, true
	}
	var ok bool
	if key, ok = field(); !ok {
		return 0, nil, nil, 0
	}
	if op == opPut {
		if value, ok = field(); !ok {
			return 0, nil, nil, 0
		}
	}
	if len(b)-i < 4 || binary.LittleEndian.Uint32(b[i:]) != crc32.Checksum(b[:i], castagnoli) {
		return 0, nil, nil, 0
	}
	return op, key, value, int64(i + 4)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
