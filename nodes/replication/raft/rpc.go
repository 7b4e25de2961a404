package raft

import (
	"slices"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// RequestVoteArgs and the rest are Figure 2's RPC arguments and results.
type RequestVoteArgs struct {
	Term         int    `json:"term"`
	CandidateID  string `json:"candidate_id"`
	LastLogIndex int    `json:"last_log_index"`
	LastLogTerm  int    `json:"last_log_term"`
}

type RequestVoteReply struct {
	Term        int  `json:"term"`
	VoteGranted bool `json:"vote_granted"`
}

type AppendEntriesArgs[C any] struct {
	Term         int        `json:"term"`
	LeaderID     string     `json:"leader_id"`
	PrevLogIndex int        `json:"prev_log_index"`
	PrevLogTerm  int        `json:"prev_log_term"`
	Entries      []Entry[C] `json:"entries"`
	LeaderCommit int        `json:"leader_commit"`
}

// AppendEntriesReply adds two fields to Figure 2's: MatchIndex, the last
// index the follower now matches (so that a reordered reply cannot be read
// as acknowledging later entries), and ConflictIndex on a rejection, where
// the leader may resume (the optimization at the end of §5.3).
type AppendEntriesReply struct {
	Term          int  `json:"term"`
	Success       bool `json:"success"`
	MatchIndex    int  `json:"match_index,omitempty"`
	ConflictIndex int  `json:"conflict_index,omitempty"`
}

// ---- RequestVote, receiver ----

func (n *Server[C]) handleRequestVote(msg maelstrom.Msg) {
	args, err := maelstrom.Decode[RequestVoteArgs](msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	if args.Term > n.currentTerm {
		n.becomeFollower(args.Term, "")
	}
	granted := args.Term == n.currentTerm &&
		(n.votedFor == "" || n.votedFor == args.CandidateID) &&
		n.logUpToDate(args.LastLogIndex, args.LastLogTerm)
	if granted {
		n.votedFor = args.CandidateID
		n.saveTermAndVote()
		n.resetElectionTimer()
	}
	// Figure 2: persistent state is updated on stable storage before
	// responding, so a crash cannot make this node vote twice in a term.
	n.env.Store().Sync()
	n.env.Reply(msg, "request_vote_ok", RequestVoteReply{Term: n.currentTerm, VoteGranted: granted})
}

// logUpToDate is the election restriction §5.4.1: the candidate's log must
// be at least as up-to-date as ours — a later last term, or the same last
// term and at least as long.
func (n *Server[C]) logUpToDate(lastIndex, lastTerm int) bool {
	if lastTerm != n.lastTerm() {
		return lastTerm > n.lastTerm()
	}
	return lastIndex >= n.lastIndex()
}

// ---- AppendEntries, receiver ----

func (n *Server[C]) handleAppendEntries(msg maelstrom.Msg) {
	args, err := maelstrom.Decode[AppendEntriesArgs[C]](msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	reply := n.appendEntries(args)
	n.env.Store().Sync() // Figure 2: persist before responding
	n.env.Reply(msg, "append_entries_ok", reply)
}

// appendEntries is Figure 2's receiver implementation.
func (n *Server[C]) appendEntries(args AppendEntriesArgs[C]) AppendEntriesReply {
	// 1. Reply false if term < currentTerm (§5.1).
	if args.Term < n.currentTerm {
		return AppendEntriesReply{Term: n.currentTerm}
	}
	// A valid leader of this term: candidates return to follower (§5.2).
	if n.state == leader && args.Term == n.currentTerm {
		n.env.Logf("BUG: two leaders in term %d (%s and me)", args.Term, args.LeaderID)
	}
	if args.Term > n.currentTerm || n.state != follower || n.leaderID != args.LeaderID {
		n.becomeFollower(args.Term, args.LeaderID)
	}
	n.resetElectionTimer()

	// 2. Reply false if log doesn't contain an entry at prevLogIndex whose
	// term matches prevLogTerm (§5.3).
	if args.PrevLogIndex > n.lastIndex() {
		return AppendEntriesReply{Term: n.currentTerm, ConflictIndex: n.lastIndex() + 1}
	}
	if t := n.log[args.PrevLogIndex].Term; t != args.PrevLogTerm {
		first := args.PrevLogIndex
		for first > 1 && n.log[first-1].Term == t {
			first--
		}
		return AppendEntriesReply{Term: n.currentTerm, ConflictIndex: first}
	}

	// 3. If an existing entry conflicts with a new one (same index, different
	// terms), delete the existing entry and all that follow it (§5.3).
	// 4. Append any new entries not already in the log. An entry that
	// already matches is kept: a delayed or duplicated AppendEntries must
	// not cut entries a later one appended.
	oldLast, changed := n.lastIndex(), 0
	for i, e := range args.Entries {
		idx := args.PrevLogIndex + 1 + i
		if idx <= n.lastIndex() {
			if n.log[idx].Term == e.Term {
				continue
			}
			if idx <= n.commitIndex {
				n.env.Logf("BUG: truncating committed entry %d", idx)
			}
			n.log = n.log[:idx]
		}
		if changed == 0 {
			changed = idx
		}
		n.log = append(n.log, e)
	}
	if changed > 0 {
		n.saveLog(changed, oldLast)
	}

	// 5. If leaderCommit > commitIndex, set commitIndex =
	// min(leaderCommit, index of last new entry).
	last := args.PrevLogIndex + len(args.Entries)
	if args.LeaderCommit > n.commitIndex {
		n.commitIndex = max(n.commitIndex, min(args.LeaderCommit, last))
		n.applyCommitted()
	}
	return AppendEntriesReply{Term: n.currentTerm, Success: true, MatchIndex: last}
}

// ---- AppendEntries, leader ----

// broadcastAppend starts a new round: an AppendEntries to every follower.
func (n *Server[C]) broadcastAppend() {
	n.round++
	for p := range n.peers {
		n.sendAppend(p)
	}
}

// sendAppend sends peer (an index into peers) the entries from
// nextIndex[peer], at most maxBatch, as part of the current round.
func (n *Server[C]) sendAppend(peer int) {
	next := n.nextIndex[peer]
	end := min(n.lastIndex()+1, next+maxBatch)
	args := AppendEntriesArgs[C]{
		Term:         n.currentTerm,
		LeaderID:     n.env.ID(),
		PrevLogIndex: next - 1,
		PrevLogTerm:  n.log[next-1].Term,
		// A copy: the message must not change if this log is cut later.
		Entries:      slices.Clone(n.log[next:end]),
		LeaderCommit: n.commitIndex,
	}
	round := n.round
	n.sent[peer] = true
	n.env.RPC(n.peers[peer], "append_entries", args, appendTimeout, func(resp maelstrom.Msg, err error) {
		n.onAppendReply(peer, args, round, resp, err)
	})
}

func (n *Server[C]) onAppendReply(peer int, args AppendEntriesArgs[C], round int, resp maelstrom.Msg, err error) {
	if err != nil {
		return // the next heartbeat resends from nextIndex
	}
	reply, derr := maelstrom.Decode[AppendEntriesReply](resp)
	if derr != nil {
		n.env.Logf("bad append_entries reply from %s: %v", n.peers[peer], derr)
		return
	}
	if reply.Term > n.currentTerm {
		n.becomeFollower(reply.Term, "")
		n.env.Store().Sync()
		return
	}
	if n.state != leader || n.currentTerm != args.Term {
		return
	}
	// Any answer in our term means peer still takes us for its leader: it
	// counts toward the ReadIndex round and the quorum check.
	n.heard[peer] = true
	if round > n.acked[peer] {
		n.ackedRounds.raise(n.acked[peer], round)
		n.acked[peer] = round
	}

	if reply.Success {
		if reply.MatchIndex > n.matchIndex[peer] {
			n.matched.raise(n.matchIndex[peer], reply.MatchIndex)
			n.matchIndex[peer] = reply.MatchIndex
		}
		n.nextIndex[peer] = max(n.nextIndex[peer], n.matchIndex[peer]+1)
		n.advanceCommitIndex()
		if len(args.Entries) == maxBatch && n.nextIndex[peer] <= n.lastIndex() {
			n.sendAppend(peer) // a capped batch: send the rest now
		}
	} else {
		// §5.3: after a rejection, decrement nextIndex and retry; the
		// follower's ConflictIndex lets us skip a whole term at once. Never
		// below what peer is known to match.
		next := min(reply.ConflictIndex, args.PrevLogIndex)
		n.nextIndex[peer] = max(n.matchIndex[peer]+1, next, 1)
		n.sendAppend(peer)
	}
	n.serveReads()
}

// advanceCommitIndex is Figure 2's rule for leaders: if there exists an N >
// commitIndex such that a majority of matchIndex[i] >= N and log[N].term ==
// currentTerm, set commitIndex = N. The largest N that a majority has is
// what n.matched tracks, counting the leader's own copy (synced in
// appendLocal) as its last index.
func (n *Server[C]) advanceCommitIndex() {
	idx := n.matched.value(n.lastIndex())
	// §5.4.2: a leader commits only entries from its own term by counting
	// replicas; earlier ones commit with them (Figure 8). Terms only grow
	// along the log, so if log[idx] is older, every N below it is too.
	if idx > n.commitIndex && n.log[idx].Term == n.currentTerm {
		n.commitIndex = idx
		n.applyCommitted()
	}
}

// majority tracks, for values that only grow (each follower's matchIndex,
// the last round each acknowledged), the largest v that a majority of the
// servers have reached, the leader counting as having reached its own
// value. Raising a follower's value costs the values it passes, so the
// work is that of the replication itself, not a count over every follower
// on every reply.
type majority struct {
	quorum  int
	reached []int // reached[v]: followers whose value is at least v (v >= 1)
	top     int   // the largest v with reached[v] + 1 >= quorum
}

func newMajority(quorum int) majority { return majority{quorum: quorum, reached: []int{0}} }

// raise records that a follower's value grew from old to new.
func (m *majority) raise(old, new int) {
	for len(m.reached) <= new {
		m.reached = append(m.reached, 0)
	}
	for v := old + 1; v <= new; v++ {
		m.reached[v]++
	}
	for m.top+1 < len(m.reached) && m.reached[m.top+1]+1 >= m.quorum {
		m.top++
	}
}

// value is the largest v a majority has reached, given the leader's own.
func (m *majority) value(own int) int {
	if m.quorum <= 1 {
		return own
	}
	return min(m.top, own)
}
