// Package raft is Raft consensus: a replicated log of commands applied, in
// log order, to a state machine on every server. The state machine is
// pluggable (Machine): New serves the register workload, with read, write
// and cas commands applied to kvstate's register; NewWith drives any other
// (raft-lock's lock table). What follows describes the register; the log,
// elections and client handling are the same for every machine.
//
// Source: Diego Ongaro and John Ousterhout, "In Search of an Understandable
// Consensus Algorithm", USENIX ATC 2014 (cited as §N and "Figure 2"), and, for
// the parts the paper leaves to the thesis, Diego Ongaro, "Consensus:
// Bridging Theory and Practice", Stanford 2014 (cited as "thesis §N"): the
// ReadIndex read path (thesis §6.4) and the leader's quorum check (thesis
// §6.2). Names follow Figure 2: currentTerm, votedFor, log, commitIndex,
// lastApplied, nextIndex, matchIndex; RequestVote and AppendEntries.
//
// What a node does:
//
//   - Elections (§5.2): a follower that hears nothing from a leader for a
//     randomized election timeout (150–300 ms) becomes a candidate, votes for
//     itself and asks the others; a majority of votes makes it leader. Votes
//     go only to candidates whose log is at least as up to date (§5.4.1).
//   - Replication (§5.3): the leader appends client commands to its log and
//     sends every follower the entries from its nextIndex (up to 100 per
//     AppendEntries), backing nextIndex up on a rejection. An entry of the
//     leader's own term is committed once a majority store it (§5.4.2), and
//     every node applies committed entries in order.
//   - Heartbeats: an empty AppendEntries every 50 ms to each follower that
//     was sent nothing else since the last tick.
//   - Durability (Figure 2): currentTerm, votedFor and the log (one store key
//     per entry plus a length key) are synced before a node answers
//     RequestVote or AppendEntries and before a leader counts its own copy of
//     an entry. commitIndex and lastApplied are volatile: a restarted node
//     recovers its log and rebuilds the register state by applying entries
//     again as it re-learns commitIndex from a leader.
//   - Clients (§8): a leader appends {op, client, request id} and answers
//     when the entry is applied; the state machine remembers the result of
//     every applied request id, so a command appended twice (a duplicated
//     forward) takes effect once. A follower forwards to the leader it knows
//     and relays the answer; a forward that times out is answered with an
//     indefinite timeout (code 0), since the command may still commit. With
//     no known leader it holds the request until one is known (an election
//     takes a few hundred ms), for at most 600 ms, then answers
//     temporarily-unavailable (11, definite: the command was not appended
//     anywhere). A node asked by a follower when it is no longer leader also
//     answers 11 rather than forward again. A deposed leader keeps its
//     pending commands and answers each when its index is applied: with the
//     result if the entry there is its own, with a definite error 11 if
//     another leader's entry was committed at that index (the command can
//     then never commit). Reads it had not confirmed fail with 11: a read
//     that was never answered changed nothing.
//   - Reads use ReadIndex (thesis §6.4), not the log and never a lease: the
//     leader takes readIndex = max(commitIndex, index of its term's no-op),
//     confirms it is still leader by a round of AppendEntries acknowledged by
//     a majority in its term, waits until lastApplied >= readIndex, then
//     answers from its state machine. A new leader appends a no-op at once
//     (§8) so that it commits an entry of its term promptly.
//   - Quorum check (thesis §6.2): a leader that heard from no majority during
//     an election timeout steps down, so that a leader cut off in a minority
//     stops attracting requests. It affects availability only.
//
// Expected behaviour under each fault (see Expect): linearizable under all of
// them, because Raft's safety argument (§5.4) does not depend on timing or on
// the network delivering anything.
//
//   - partition: a minority side cannot elect a leader or commit; a deposed
//     leader cannot commit (no majority) and cannot confirm a ReadIndex round,
//     so it serves no stale reads. Requests on the minority side time out or
//     fail with 11; availability drops while a majority is cut from the leader
//     and returns after an election (a few hundred ms).
//   - kill: persistent state is synced before replies, so a restarted node
//     neither votes twice in a term nor forgets an entry it acknowledged. Its
//     in-flight clients get timeouts (indefinite). Killing a majority stops
//     progress until enough restart.
//   - pause: a paused leader resumes as a deposed leader of a stale term; its
//     messages are refused (§5.1) and its pending work resolves as above.
//   - packet: loss, duplication, delay and reordering only slow things down:
//     AppendEntries is idempotent (an entry that already matches is kept, only
//     a conflicting one truncates, §5.3), replies carry the index they match
//     rather than assuming the latest request, and duplicated forwarded
//     commands are applied once (§8).
//   - clock: no decision reads the clock (env.Now is unused); timeouts are
//     durations, and no lease is trusted, so skewed clocks cannot affect
//     safety (§5.6) and at most delay elections.
//
// Not implemented: log compaction and snapshots (§7; the whole log stays in
// memory and in the store, fine for runs of ~100k entries), membership
// changes (§6), and the thesis's PreVote (§9.6), so a node rejoining after a
// partition with a higher term forces one extra election.
package raft

import (
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// Timing. Liveness needs broadcastTime << electionTimeout (§5.6); with the
// simulator's default latencies an AppendEntries round trip is ~10 ms.
const (
	heartbeatInterval  = 50 * time.Millisecond
	electionTimeoutMin = 150 * time.Millisecond
	electionTimeoutMax = 300 * time.Millisecond
	// quorumCheckInterval is how long a leader may go without hearing from
	// a majority before it steps down (thesis §6.2).
	quorumCheckInterval = electionTimeoutMax

	appendTimeout  = 250 * time.Millisecond // an unanswered AppendEntries is simply resent later
	voteTimeout    = electionTimeoutMax
	forwardTimeout = time.Second // a follower waits this long for the leader's answer
	// holdTimeout is how long a request waits for a leader to be known.
	holdTimeout = 2 * electionTimeoutMax

	maxBatch = 100 // entries per AppendEntries
)

type role int

const (
	follower role = iota
	candidate
	leader
)

func (r role) String() string {
	return [...]string{"follower", "candidate", "leader"}[r]
}

// Entry is one log entry, holding a command of the state machine. Op is
// nil for a leader's no-op.
type Entry[C any] struct {
	Term   int    `json:"term"`
	Op     *C     `json:"op,omitempty"`
	Client string `json:"client,omitempty"` // client request identity (§8):
	ReqID  int    `json:"req_id,omitempty"` // the client and its msg_id
}

// requestID identifies a client request across forwards and duplicates.
type requestID struct {
	client string
	msgID  int
}

// pendingWrite is a client command this node appended as leader, waiting
// for its index to be applied.
type pendingWrite struct {
	term int // the term of the entry this node appended
	req  maelstrom.Msg
}

// pendingRead is a ReadIndex read waiting for its round and for lastApplied.
type pendingRead[C any] struct {
	req   maelstrom.Msg
	op    C
	index int // readIndex
	round int // heartbeat round that must be acknowledged by a majority
}

// Server is one Raft server driving a state machine whose commands are Cs.
type Server[C any] struct {
	env    nodes.Env
	mux    *nodes.Mux
	peers  []string // every other server, in NodeIDs order
	quorum int

	// Persistent state on all servers (Figure 2), mirrored in env.Store().
	currentTerm int
	votedFor    string
	log         []Entry[C] // log[0] is a sentinel of term 0; log[i] is entry i

	// Volatile state on all servers.
	commitIndex   int
	lastApplied   int
	state         role
	leaderID      string // the leader of currentTerm, when known
	electionTimer nodes.TimerID
	sm            Machine[C]
	sessions      map[requestID]Answer   // §8: answers of applied requests
	pending       map[int][]pendingWrite // by log index
	held          []*heldRequest[C]      // client requests waiting for a leader

	// Candidate state.
	votes map[string]bool

	// Volatile state on leaders, reinitialized after election; one slot
	// per peer, in peers order.
	nextIndex  []int
	matchIndex []int
	termStart  int   // index of this term's no-op
	round      int   // AppendEntries broadcast rounds, for ReadIndex
	acked      []int // highest round each follower acknowledged
	sent       []bool
	heard      []bool
	reads      []pendingRead[C]
	// matched and ackedRounds track what a majority has of matchIndex and
	// acked.
	matched, ackedRounds majority

	// localReads is a test-only, unsafe variant: the leader answers reads
	// from its state machine at once, without ReadIndex. A deposed leader
	// then serves stale reads, which the harness must catch.
	localReads bool
}

// Node is a Raft server of the register.
type Node = Server[kvstate.Op]

// New returns a Raft node serving the register.
func New() nodes.Node { return &Node{sm: newRegister()} }

// NewWith returns the factory of Raft servers that drive the state
// machines newMachine makes, one per incarnation: a restarted server
// rebuilds its machine by applying the log again.
func NewWith[C any](newMachine func() Machine[C]) func() nodes.Node {
	return func() nodes.Node { return &Server[C]{sm: newMachine()} }
}

// Init recovers the persistent state and starts as a follower (§5.2).
func (n *Server[C]) Init(env nodes.Env) {
	n.env = env
	ids := env.NodeIDs()
	n.quorum = len(ids)/2 + 1
	for _, id := range ids {
		if id != env.ID() {
			n.peers = append(n.peers, id)
		}
	}
	n.sessions = map[requestID]Answer{}
	n.pending = map[int][]pendingWrite{}
	n.restore()

	n.mux = nodes.NewMux(env)
	for _, typ := range n.sm.Types() {
		n.mux.Handle(typ, n.handleClient)
	}
	n.mux.Handle("raft_forward", n.handleForward)
	n.mux.Handle("request_vote", n.handleRequestVote)
	n.mux.Handle("append_entries", n.handleAppendEntries)

	n.state = follower
	env.SetRole(follower.String())
	n.resetElectionTimer()
}

// Handle dispatches a request; replies to this node's RPCs go to callbacks.
func (n *Server[C]) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

func (n *Server[C]) lastIndex() int { return len(n.log) - 1 }
func (n *Server[C]) lastTerm() int  { return n.log[len(n.log)-1].Term }

// ---- roles ----

// becomeFollower adopts term (clearing votedFor if it is newer: §5.1, "if
// RPC request or response contains term T > currentTerm: set currentTerm = T,
// convert to follower") and records leader, which may be unknown ("").
// The caller syncs before it replies.
func (n *Server[C]) becomeFollower(term int, leaderID string) {
	if term > n.currentTerm {
		n.currentTerm, n.votedFor = term, ""
		n.saveTermAndVote()
	}
	wasLeader := n.state == leader
	n.state, n.leaderID = follower, leaderID
	n.env.SetRole(follower.String())
	if wasLeader {
		n.env.Logf("stepping down in term %d", n.currentTerm)
		n.failReads()
		// A leader runs no election timer.
		n.resetElectionTimer()
	}
	if leaderID != "" {
		n.releaseHeld()
	}
}

func (n *Server[C]) resetElectionTimer() {
	n.env.CancelTimer(n.electionTimer)
	spread := int(electionTimeoutMax - electionTimeoutMin)
	d := electionTimeoutMin + time.Duration(n.env.Rand().IntN(spread+1))
	n.electionTimer = n.env.SetTimer(d, func() {
		if n.state != leader {
			n.startElection()
		}
	})
}

// startElection is §5.2: increment currentTerm, vote for self, reset the
// election timer, send RequestVote to all other servers.
func (n *Server[C]) startElection() {
	n.currentTerm++
	n.votedFor = n.env.ID()
	n.saveTermAndVote()
	n.env.Store().Sync() // the vote for self must survive a crash too
	n.state, n.leaderID = candidate, ""
	n.env.SetRole(candidate.String())
	n.votes = map[string]bool{n.env.ID(): true}
	n.resetElectionTimer()
	n.env.Logf("election for term %d", n.currentTerm)
	if len(n.votes) >= n.quorum {
		n.becomeLeader()
		return
	}
	args := RequestVoteArgs{Term: n.currentTerm, CandidateID: n.env.ID(), LastLogIndex: n.lastIndex(), LastLogTerm: n.lastTerm()}
	for _, p := range n.peers {
		n.env.RPC(p, "request_vote", args, voteTimeout, func(resp maelstrom.Msg, err error) {
			n.onVoteReply(p, args.Term, resp, err)
		})
	}
}

func (n *Server[C]) onVoteReply(peer string, term int, resp maelstrom.Msg, err error) {
	if err != nil {
		return // lost or late: the election timer will start another election
	}
	reply, derr := maelstrom.Decode[RequestVoteReply](resp)
	if derr != nil {
		n.env.Logf("bad request_vote reply from %s: %v", peer, derr)
		return
	}
	if reply.Term > n.currentTerm {
		n.becomeFollower(reply.Term, "")
		n.env.Store().Sync()
		return
	}
	if n.state != candidate || n.currentTerm != term || !reply.VoteGranted {
		return
	}
	n.votes[peer] = true
	if len(n.votes) >= n.quorum {
		n.becomeLeader()
	}
}

// becomeLeader initializes the leader's volatile state (Figure 2: nextIndex
// to last log index + 1, matchIndex to 0) and appends a no-op of its term.
func (n *Server[C]) becomeLeader() {
	n.env.Logf("leader for term %d", n.currentTerm)
	n.state, n.leaderID = leader, n.env.ID()
	n.env.SetRole(leader.String())
	n.env.CancelTimer(n.electionTimer)
	k := len(n.peers)
	n.nextIndex, n.matchIndex = make([]int, k), make([]int, k)
	n.acked, n.sent, n.heard = make([]int, k), make([]bool, k), make([]bool, k)
	n.matched, n.ackedRounds = newMajority(n.quorum), newMajority(n.quorum)
	for p := range n.peers {
		n.nextIndex[p] = n.lastIndex() + 1
	}
	// §8 / §5.4.2: entries from earlier terms are committed only indirectly,
	// by committing an entry of the current term; a no-op does that at once,
	// and ReadIndex waits for it (thesis §6.4).
	n.termStart = n.appendLocal(Entry[C]{Term: n.currentTerm})
	n.broadcastAppend()
	n.advanceCommitIndex() // a cluster of one commits alone
	n.heartbeat(n.currentTerm)
	n.checkQuorum(n.currentTerm)
	n.releaseHeld()
}

// heartbeat sends an AppendEntries to each follower that was sent nothing
// since the last tick, every heartbeatInterval, while leader of term.
func (n *Server[C]) heartbeat(term int) {
	n.env.SetTimer(heartbeatInterval, func() {
		if n.state != leader || n.currentTerm != term {
			return
		}
		for p := range n.peers {
			if !n.sent[p] {
				n.sendAppend(p)
			}
			n.sent[p] = false
		}
		n.heartbeat(term)
	})
}

// checkQuorum is thesis §6.2: a leader steps down when an election timeout
// passes without a successful AppendEntries round trip to a majority.
func (n *Server[C]) checkQuorum(term int) {
	n.env.SetTimer(quorumCheckInterval, func() {
		if n.state != leader || n.currentTerm != term {
			return
		}
		heard := 1
		for p := range n.peers {
			if n.heard[p] {
				heard++
			}
			n.heard[p] = false
		}
		if heard < n.quorum {
			n.env.Logf("heard from %d of %d servers: stepping down", heard, len(n.peers)+1)
			n.becomeFollower(n.currentTerm, "")
			return
		}
		n.checkQuorum(term)
	})
}
