package raft

import (
	"encoding/json"
	"strconv"
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
func (n *Server[C]) saveTermAndVote() {
	s := n.env.Store()
	s.Put(keyTerm, strconv.AppendInt(nil, int64(n.currentTerm), 10))
	s.Put(keyVote, []byte(n.votedFor))
}

// saveLog writes the entries from index from to the end and the new length,
// deleting keys past the end that a truncation left (up to oldLast). The
// caller syncs.
func (n *Server[C]) saveLog(from, oldLast int) {
	s := n.env.Store()
	for i := from; i <= n.lastIndex(); i++ {
		b, err := json.Marshal(n.log[i])
		if err != nil {
			panic("raft: encoding a log entry: " + err.Error())
		}
		s.Put(entryKey(i), b)
	}
	for i := n.lastIndex() + 1; i <= oldLast; i++ {
		s.Delete(entryKey(i))
	}
	s.Put(keyLogLen, strconv.AppendInt(nil, int64(n.lastIndex()), 10))
}

// appendLocal appends e to the leader's own log and syncs it, so that the
// leader's own copy counts toward a majority only once it is durable.
func (n *Server[C]) appendLocal(e Entry[C]) int {
	n.log = append(n.log, e)
	idx := n.lastIndex()
	n.saveLog(idx, idx-1)
	n.env.Store().Sync()
	return idx
}

// restore reads the persistent state back after a restart. A missing or
// unreadable entry cuts the log there (it was never acknowledged: entries are
// synced before the length that covers them is acknowledged).
func (n *Server[C]) restore() {
	s := n.env.Store()
	n.log = []Entry[C]{{Term: 0}}
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
		var e Entry[C]
		if !ok || json.Unmarshal(b, &e) != nil {
			n.env.Logf("log entry %d of %d unreadable: log cut to %d entries", i, length, i-1)
			break
		}
		n.log = append(n.log, e)
	}
	if length > 0 || n.currentTerm > 0 {
		n.env.Logf("restored term %d, vote %q, %d log entries", n.currentTerm, n.votedFor, n.lastIndex())
	}
}
