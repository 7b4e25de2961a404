package raft

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// Store keys of the persistent state (Figure 2). The log is one key per
// entry plus its length, so an append writes only what it adds.
const (
	keyTerm   = "raft/current_term"
	keyVote   = "raft/voted_for"
	keyLogLen = "raft/log/len"
)

func entryKey(i int) string { return "raft/log/" + strconv.Itoa(i) }

// saveTermAndVote writes currentTerm and votedFor; the caller syncs before
// anything depends on them.
func (n *Node) saveTermAndVote() {
	s := n.env.Store()
	s.Put(keyTerm, strconv.AppendInt(nil, int64(n.currentTerm), 10))
	s.Put(keyVote, []byte(n.votedFor))
}

// saveLog writes the entries from index from to the end and the new length,
// deleting keys past the end that a truncation left (up to oldLast). The
// caller syncs.
func (n *Node) saveLog(from, oldLast int) {
	s := n.env.Store()
	for i := from; i <= n.lastIndex(); i++ {
		n.buf = appendEntry(n.buf[:0], n.log[i])
		s.Put(entryKey(i), n.buf)
	}
	for i := n.lastIndex() + 1; i <= oldLast; i++ {
		s.Delete(entryKey(i))
	}
	s.Put(keyLogLen, strconv.AppendInt(nil, int64(n.lastIndex()), 10))
}

// appendLocal appends e to the leader's own log and syncs it, so that the
// leader's own copy counts toward a majority only once it is durable.
func (n *Node) appendLocal(e Entry) int {
	n.log = append(n.log, e)
	idx := n.lastIndex()
	n.saveLog(idx, idx-1)
	n.env.Store().Sync()
	return idx
}

// restore reads the persistent state back after a restart. A missing or
// unreadable entry cuts the log there (it was never acknowledged: entries are
// synced before the length that covers them is acknowledged).
func (n *Node) restore() {
	s := n.env.Store()
	n.log = []Entry{{Term: 0}}
	if b, ok := s.Get(keyTerm); ok {
		n.currentTerm, _ = strconv.Atoi(string(b))
	}
	if b, ok := s.Get(keyVote); ok {
		n.votedFor = string(b)
	}
	length := 0
	if b, ok := s.Get(keyLogLen); ok {
		length, _ = strconv.Atoi(string(b))
	}
	for i := 1; i <= length; i++ {
		b, ok := s.Get(entryKey(i))
		e, err := parseEntry(b)
		if !ok || err != nil {
			n.env.Logf("log entry %d of %d unreadable: log cut to %d entries", i, length, i-1)
			break
		}
		n.log = append(n.log, e)
	}
	if length > 0 || n.currentTerm > 0 {
		n.env.Logf("restored term %d, vote %q, %d log entries", n.currentTerm, n.votedFor, n.lastIndex())
	}
}

// appendEntry encodes a log entry for the store: its term alone for a
// no-op, else "term f key value from to reqID client", the client last as
// the one field that may hold anything. Entries are written for every
// append on every server, so this avoids reflection.
func appendEntry(dst []byte, e Entry) []byte {
	dst = strconv.AppendInt(dst, int64(e.Term), 10)
	if e.Op == nil {
		return dst
	}
	dst = append(append(dst, ' '), e.Op.F...)
	for _, v := range []int{e.Op.Key, e.Op.Value, e.Op.From, e.Op.To, e.ReqID} {
		dst = strconv.AppendInt(append(dst, ' '), int64(v), 10)
	}
	return append(append(dst, ' '), e.Client...)
}

var errBadEntry = errors.New("malformed log entry")

// parseEntry reads what appendEntry wrote.
func parseEntry(b []byte) (Entry, error) {
	field := func() (string, bool) {
		if len(b) == 0 {
			return "", false
		}
		f, rest, _ := bytes.Cut(b, []byte{' '})
		b = rest
		return string(f), true
	}
	number := func() (int, bool) {
		f, ok := field()
		v, err := strconv.Atoi(f)
		return v, ok && err == nil
	}
	var e Entry
	var ok bool
	if e.Term, ok = number(); !ok {
		return e, errBadEntry
	}
	if len(b) == 0 {
		return e, nil // a no-op
	}
	op := &kvstate.Op{}
	op.F, _ = field()
	for _, v := range []*int{&op.Key, &op.Value, &op.From, &op.To, &e.ReqID} {
		if *v, ok = number(); !ok {
			return e, errBadEntry
		}
	}
	e.Op, e.Client = op, string(b)
	return e, nil
}
