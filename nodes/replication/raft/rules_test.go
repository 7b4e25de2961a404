package raft

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// These tests drive one node of the register directly through a fake Env:
// every message and RPC callback is delivered by hand, and the store can
// crash.

// The register's instantiations of the generic types.
type (
	kvEntry   = Entry[kvstate.Op]
	kvAppend  = AppendEntriesArgs[kvstate.Op]
	kvForward = ForwardBody[kvstate.Op]
)

// fakeStore keeps synced and unsynced writes apart; crash loses the unsynced
// ones (the harsher of the simulator's two crash modes).
type fakeStore struct {
	durable, unsynced map[string][]byte // a nil unsynced value is a deletion
}

func newFakeStore() *fakeStore {
	return &fakeStore{durable: map[string][]byte{}, unsynced: map[string][]byte{}}
}

func (s *fakeStore) Get(k string) ([]byte, bool) {
	if v, ok := s.unsynced[k]; ok {
		return v, v != nil
	}
	v, ok := s.durable[k]
	return v, ok
}
func (s *fakeStore) Put(k string, v []byte) { s.unsynced[k] = append([]byte{}, v...) }
func (s *fakeStore) Delete(k string)        { s.unsynced[k] = nil }
func (s *fakeStore) Sync() {
	for k, v := range s.unsynced {
		if v == nil {
			delete(s.durable, k)
		} else {
			s.durable[k] = v
		}
	}
	clear(s.unsynced)
}
func (s *fakeStore) crash() { clear(s.unsynced) }

type fakeRand struct{}

func (fakeRand) IntN(int) int     { return 0 }
func (fakeRand) Int64() int64     { return 0 }
func (fakeRand) Float64() float64 { return 0 }
func (fakeRand) Perm(n int) []int { return make([]int, n) }

type fakeRPC struct {
	dest, typ string
	body      any
	cb        func(maelstrom.Msg, error)
}

type fakeTimer struct {
	d    time.Duration
	f    func()
	dead bool
}

type fakeEnv struct {
	t       *testing.T
	id      string
	ids     []string
	store   *fakeStore
	replies []maelstrom.Msg // replies, in order
	rpcs    []fakeRPC
	timers  []*fakeTimer
	role    string
	nextID  int
}

func newFakeEnv(t *testing.T, store *fakeStore) *fakeEnv {
	return &fakeEnv{t: t, id: "n0", ids: []string{"n0", "n1", "n2"}, store: store}
}

func (e *fakeEnv) ID() string                         { return e.id }
func (e *fakeEnv) NodeIDs() []string                  { return e.ids }
func (e *fakeEnv) Now() time.Duration                 { return 0 }
func (e *fakeEnv) Rand() nodes.Rand                   { return fakeRand{} }
func (e *fakeEnv) Store() nodes.Store                 { return e.store }
func (e *fakeEnv) SetRole(r string)                   { e.role = r }
func (e *fakeEnv) WaitsFor(string, []string)          {}
func (e *fakeEnv) SetPhase(string)                    {}
func (e *fakeEnv) CommitState(string, string, string) {}
func (e *fakeEnv) Logf(string, ...any)                {}
func (e *fakeEnv) Send(dest, typ string, body any) {
	e.t.Fatalf("unexpected one-way %s to %s", typ, dest)
}

// Reply records the reply and fails the test if persistent state was still
// unsynced: Figure 2 requires stable storage before responding.
func (e *fakeEnv) Reply(req maelstrom.Msg, typ string, body any) {
	if (typ == "request_vote_ok" || typ == "append_entries_ok") && len(e.store.unsynced) > 0 {
		e.t.Errorf("%s sent with %d unsynced store writes", typ, len(e.store.unsynced))
	}
	m := maelstrom.Msg{Src: e.id, Dest: req.Src, Type: typ, Body: body}
	m.AnswerTo(req)
	e.replies = append(e.replies, m)
}
func (e *fakeEnv) ReplyError(req maelstrom.Msg, code int, text string) {
	e.Reply(req, "error", maelstrom.ErrorBody{Code: code, Text: text})
}
func (e *fakeEnv) RPC(dest, typ string, body any, _ time.Duration, cb func(maelstrom.Msg, error)) {
	e.rpcs = append(e.rpcs, fakeRPC{dest: dest, typ: typ, body: body, cb: cb})
}
func (e *fakeEnv) SetTimer(d time.Duration, f func()) nodes.TimerID {
	e.timers = append(e.timers, &fakeTimer{d: d, f: f})
	return nodes.TimerID(len(e.timers))
}
func (e *fakeEnv) CancelTimer(id nodes.TimerID) {
	if id > 0 {
		e.timers[id-1].dead = true
	}
}

// fire runs the live timers set for d.
func (e *fakeEnv) fire(d time.Duration) {
	timers := e.timers
	for _, tm := range timers {
		if !tm.dead && tm.d == d {
			tm.dead = true
			tm.f()
		}
	}
}

// request delivers a request to node and returns its reply, if any.
func (e *fakeEnv) request(n *Node, src, typ string, body any) (maelstrom.Msg, bool) {
	e.nextID++
	before := len(e.replies)
	n.Handle(maelstrom.Msg{Src: src, Dest: e.id, Type: typ, MsgID: e.nextID, Body: body})
	if len(e.replies) == before {
		return maelstrom.Msg{}, false
	}
	return e.replies[len(e.replies)-1], true
}

// rpcsOf takes the RPCs of type typ sent so far, leaving the others.
func (e *fakeEnv) rpcsOf(typ string) []fakeRPC {
	var out, rest []fakeRPC
	for _, r := range e.rpcs {
		if r.typ == typ {
			out = append(out, r)
		} else {
			rest = append(rest, r)
		}
	}
	e.rpcs = rest
	return out
}

func answer(body any) maelstrom.Msg { return maelstrom.Msg{Type: "ok", Body: body} }

// boot starts a node on store, whose log holds entries of the given terms.
func boot(t *testing.T, store *fakeStore, term int, logTerms ...int) (*Node, *fakeEnv) {
	t.Helper()
	if term > 0 {
		store.Put(keyTerm, []byte(strconv.Itoa(term)))
	}
	if len(logTerms) > 0 {
		for i, lt := range logTerms {
			store.Put(entryKey(i+1), []byte(`{"term":`+strconv.Itoa(lt)+`}`))
		}
		store.Put(keyLogLen, []byte(strconv.Itoa(len(logTerms))))
	}
	store.Sync()
	env := newFakeEnv(t, store)
	n := New().(*Node)
	n.Init(env)
	return n, env
}

func vote(t *testing.T, n *Node, env *fakeEnv, args RequestVoteArgs) RequestVoteReply {
	t.Helper()
	m, ok := env.request(n, args.CandidateID, "request_vote", args)
	if !ok {
		t.Fatal("no reply to request_vote")
	}
	r, err := maelstrom.Decode[RequestVoteReply](m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func appendReq(t *testing.T, n *Node, env *fakeEnv, args kvAppend) AppendEntriesReply {
	t.Helper()
	m, ok := env.request(n, args.LeaderID, "append_entries", args)
	if !ok {
		t.Fatal("no reply to append_entries")
	}
	r, err := maelstrom.Decode[AppendEntriesReply](m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func logTerms(n *Node) []int {
	var out []int
	for _, e := range n.log[1:] {
		out = append(out, e.Term)
	}
	return out
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// §5.4.1: a vote goes only to a candidate whose log is at least as up to
// date: a later last term, or the same last term and at least as long.
func TestElectionRestriction(t *testing.T) {
	n, env := boot(t, newFakeStore(), 2, 1, 2) // log: [t1, t2]

	// A longer log with an older last term is less up to date.
	if r := vote(t, n, env, RequestVoteArgs{Term: 3, CandidateID: "n1", LastLogIndex: 5, LastLogTerm: 1}); r.VoteGranted || r.Term != 3 {
		t.Fatalf("stale log (last term 1) got %+v; want refused in term 3", r)
	}
	// Same last term, shorter log.
	if r := vote(t, n, env, RequestVoteArgs{Term: 3, CandidateID: "n1", LastLogIndex: 1, LastLogTerm: 2}); r.VoteGranted {
		t.Fatalf("shorter log with the same last term got a vote: %+v", r)
	}
	// Same last term, same length: up to date. The refusals did not vote.
	if r := vote(t, n, env, RequestVoteArgs{Term: 3, CandidateID: "n2", LastLogIndex: 2, LastLogTerm: 2}); !r.VoteGranted {
		t.Fatalf("up-to-date candidate refused: %+v", r)
	}
	// One vote per term, even for a better log (§5.2).
	if r := vote(t, n, env, RequestVoteArgs{Term: 3, CandidateID: "n1", LastLogIndex: 9, LastLogTerm: 3}); r.VoteGranted {
		t.Fatalf("second vote in term 3: %+v", r)
	}
	// A stale term gets no vote and learns the current one.
	if r := vote(t, n, env, RequestVoteArgs{Term: 2, CandidateID: "n1", LastLogIndex: 9, LastLogTerm: 3}); r.VoteGranted || r.Term != 3 {
		t.Fatalf("stale-term candidate got %+v", r)
	}
}

// §5.3: a follower deletes a conflicting entry and all that follow it, keeps
// entries that already match (a delayed AppendEntries must not cut a later
// one's entries), and reports where a mismatch starts.
func TestFollowerTruncatesConflicts(t *testing.T) {
	store := newFakeStore()
	n, env := boot(t, store, 2, 1, 1, 2, 2) // log: [t1, t1, t2, t2]

	e3 := kvEntry{Term: 3, Op: &kvstate.Op{F: "write", Key: 1, Value: 7}, Client: "c1", ReqID: 1}
	r := appendReq(t, n, env, kvAppend{Term: 3, LeaderID: "n1", PrevLogIndex: 2, PrevLogTerm: 1, Entries: []kvEntry{e3}})
	if !r.Success || r.MatchIndex != 3 {
		t.Fatalf("append after a matching prefix: %+v", r)
	}
	if got := logTerms(n); !sameInts(got, []int{1, 1, 3}) {
		t.Fatalf("log terms %v after the conflict, want [1 1 3]", got)
	}
	if env.role != "follower" || n.leaderID != "n1" {
		t.Fatalf("role %q leader %q, want follower of n1", env.role, n.leaderID)
	}

	// A delayed copy of an older AppendEntries: everything matches, nothing
	// may be cut.
	r = appendReq(t, n, env, kvAppend{Term: 3, LeaderID: "n1", PrevLogIndex: 1, PrevLogTerm: 1, Entries: []kvEntry{{Term: 1}}})
	if !r.Success || r.MatchIndex != 2 || !sameInts(logTerms(n), []int{1, 1, 3}) {
		t.Fatalf("a matching old AppendEntries changed the log: %+v, log %v", r, logTerms(n))
	}

	// Mismatches: prevLogTerm differs, or the log is too short.
	if r := appendReq(t, n, env, kvAppend{Term: 3, LeaderID: "n1", PrevLogIndex: 3, PrevLogTerm: 2}); r.Success || r.ConflictIndex != 3 {
		t.Fatalf("prevLogTerm mismatch: %+v, want a rejection with conflict index 3", r)
	}
	if r := appendReq(t, n, env, kvAppend{Term: 3, LeaderID: "n1", PrevLogIndex: 7, PrevLogTerm: 3}); r.Success || r.ConflictIndex != 4 {
		t.Fatalf("prevLogIndex past the end: %+v, want a rejection with conflict index 4", r)
	}
	// A stale leader is refused (§5.1).
	if r := appendReq(t, n, env, kvAppend{Term: 2, LeaderID: "n2", PrevLogIndex: 0}); r.Success || r.Term != 3 {
		t.Fatalf("stale leader: %+v", r)
	}

	// The truncated log is what a crash recovers, and commit applies it.
	store.crash()
	n, env = boot(t, store, 0)
	if got := logTerms(n); !sameInts(got, []int{1, 1, 3}) || n.currentTerm != 3 {
		t.Fatalf("after restart: term %d log %v, want term 3 log [1 1 3]", n.currentTerm, got)
	}
	if _, ok := store.Get(entryKey(4)); ok {
		t.Fatal("the truncated entry 4 is still in the store")
	}
	appendReq(t, n, env, kvAppend{Term: 3, LeaderID: "n1", PrevLogIndex: 3, PrevLogTerm: 3, LeaderCommit: 3})
	if v, ok := n.sm.(*register).kv.Get(1); !ok || v != 7 || n.lastApplied != 3 {
		t.Fatalf("after commit: key 1 = %d (%v), lastApplied %d; want 7 and 3", v, ok, n.lastApplied)
	}
}

// Figure 2: votedFor is on stable storage before the vote is granted, so a
// crash (even one losing unsynced writes) cannot make a node vote twice in a
// term.
func TestVoteSurvivesCrash(t *testing.T) {
	store := newFakeStore()
	n, env := boot(t, store, 4)
	if r := vote(t, n, env, RequestVoteArgs{Term: 5, CandidateID: "n1"}); !r.VoteGranted {
		t.Fatalf("first vote in term 5 refused: %+v", r)
	}
	store.crash()
	n, env = boot(t, store, 0)
	if r := vote(t, n, env, RequestVoteArgs{Term: 5, CandidateID: "n2"}); r.VoteGranted {
		t.Fatal("voted twice in term 5 across a crash")
	}
	if r := vote(t, n, env, RequestVoteArgs{Term: 5, CandidateID: "n1"}); !r.VoteGranted {
		t.Fatal("a repeated request from the same candidate must get the same vote")
	}
}

// elect makes n (n0 of three) leader of the next term.
func elect(t *testing.T, n *Node, env *fakeEnv) {
	t.Helper()
	env.fire(electionTimeoutMin) // fakeRand makes every election timeout the minimum
	votes := env.rpcsOf("request_vote")
	if len(votes) != 2 || env.role != "candidate" {
		t.Fatalf("election: %d request_votes, role %q", len(votes), env.role)
	}
	votes[0].cb(answer(RequestVoteReply{Term: n.currentTerm, VoteGranted: true}), nil)
	if env.role != "leader" {
		t.Fatalf("two votes of three: role %q, want leader", env.role)
	}
}

// ackAppends answers every outstanding AppendEntries from peer successfully.
func ackAppends(n *Node, env *fakeEnv, peer string) {
	for _, r := range env.rpcsOf("append_entries") {
		if r.dest != peer {
			continue
		}
		a := r.body.(kvAppend)
		r.cb(answer(AppendEntriesReply{Term: a.Term, Success: true, MatchIndex: a.PrevLogIndex + len(a.Entries)}), nil)
	}
}

func errorCode(t *testing.T, m maelstrom.Msg) int {
	t.Helper()
	if e := m.Err(); e != nil {
		return e.Code
	}
	t.Fatalf("want an error reply, got %s", m.Type)
	return 0
}

// The leader's own copy is durable before it counts, and a client write is
// answered only once a majority holds it.
func TestLeaderCommitsWithMajority(t *testing.T) {
	store := newFakeStore()
	n, env := boot(t, store, 0)
	elect(t, n, env)
	ackAppends(n, env, "n1") // commits the no-op
	if _, ok := env.request(n, "c0", "write", maelstrom.WriteBody{Key: 1, Value: 5}); ok {
		t.Fatal("write answered before replication")
	}
	if len(store.unsynced) > 0 {
		t.Fatal("the leader's entry is not synced before replication")
	}
	ackAppends(n, env, "n2")
	if last := env.replies[len(env.replies)-1]; last.Type != "write_ok" {
		t.Fatalf("after a majority: %s, want write_ok", last.Type)
	}
}

// ReadIndex: a read is answered only after a majority acknowledges a round
// sent after it arrived; a leader deposed meanwhile fails it definitely
// instead of answering from stale state.
func TestReadIndex(t *testing.T) {
	n, env := boot(t, newFakeStore(), 0)
	elect(t, n, env)
	ackAppends(n, env, "n1")
	env.rpcsOf("append_entries") // n2 never answers
	if _, ok := env.request(n, "c0", "read", maelstrom.ReadBody{Key: 1}); ok {
		t.Fatal("read answered without a heartbeat round")
	}
	ackAppends(n, env, "n1")
	if m := env.replies[len(env.replies)-1]; errorCode(t, m) != maelstrom.KeyDoesNotExist {
		t.Fatalf("confirmed read: %+v, want key-does-not-exist", m)
	}

	// A read whose round meets a newer term is refused.
	env.request(n, "c0", "read", maelstrom.ReadBody{Key: 1})
	r := env.rpcsOf("append_entries")[0]
	r.cb(answer(AppendEntriesReply{Term: n.currentTerm + 1}), nil)
	if m := env.replies[len(env.replies)-1]; errorCode(t, m) != maelstrom.TemporarilyUnavailable || env.role != "follower" {
		t.Fatalf("deposed leader's read: %+v role %q, want error 11 as follower", m, env.role)
	}
}

// A forward that times out may still commit: the client must get an
// indefinite error, never a definite one.
func TestForwardTimeoutIsIndefinite(t *testing.T) {
	n, env := boot(t, newFakeStore(), 0)
	appendReq(t, n, env, kvAppend{Term: 1, LeaderID: "n1"})
	if _, ok := env.request(n, "c0", "write", maelstrom.WriteBody{Key: 1, Value: 5}); ok {
		t.Fatal("follower answered a write itself")
	}
	fwd := env.rpcsOf("raft_forward")
	if len(fwd) != 1 || fwd[0].dest != "n1" {
		t.Fatalf("want one forward to n1, got %+v", fwd)
	}
	fwd[0].cb(maelstrom.Msg{}, maelstrom.NewRPCError(maelstrom.Timeout, "timed out"))
	if code := errorCode(t, env.replies[len(env.replies)-1]); maelstrom.IsDefinite(code) {
		t.Fatalf("forward timeout answered with definite code %d", code)
	}
}

// A deposed leader keeps its pending write and answers it when the index is
// applied: with the result if its entry committed, definitely failed if
// another leader's entry took the index.
func TestDeposedLeaderResolvesPendingWrites(t *testing.T) {
	n, env := boot(t, newFakeStore(), 0)
	elect(t, n, env) // term 1, no-op at 1
	ackAppends(n, env, "n1")
	env.request(n, "c0", "write", maelstrom.WriteBody{Key: 1, Value: 5}) // index 2
	env.request(n, "c1", "write", maelstrom.WriteBody{Key: 1, Value: 6}) // index 3
	env.rpcsOf("append_entries")
	replies := len(env.replies)

	// n1 leads term 2 with our index 2 but its own entry at 3.
	other := kvEntry{Term: 2, Op: &kvstate.Op{F: "write", Key: 1, Value: 9}, Client: "c9", ReqID: 1}
	r := appendReq(t, n, env, kvAppend{Term: 2, LeaderID: "n1", PrevLogIndex: 2, PrevLogTerm: 1, Entries: []kvEntry{other}, LeaderCommit: 3})
	if !r.Success {
		t.Fatalf("append from the new leader: %+v", r)
	}
	got := env.replies[replies : len(env.replies)-1] // the last is the append reply
	if len(got) != 2 || got[0].Dest != "c0" || got[0].Type != "write_ok" || got[1].Dest != "c1" || errorCode(t, got[1]) != maelstrom.TemporarilyUnavailable {
		t.Fatalf("pending writes resolved as %+v; want c0 write_ok, c1 error 11", got)
	}
	if v, _ := n.sm.(*register).kv.Get(1); v != 9 {
		t.Fatalf("key 1 = %d, want 9", v)
	}
}

// §8: a command appended twice (a duplicated forward) takes effect once.
func TestDuplicateCommandAppliedOnce(t *testing.T) {
	n, env := boot(t, newFakeStore(), 0)
	w := &kvstate.Op{F: "write", Key: 1, Value: 1}
	cas := &kvstate.Op{F: "cas", Key: 1, From: 1, To: 2}
	entries := []kvEntry{{Term: 1, Op: w, Client: "c0", ReqID: 1}, {Term: 1, Op: cas, Client: "c1", ReqID: 1}, {Term: 1, Op: w, Client: "c0", ReqID: 1}}
	appendReq(t, n, env, kvAppend{Term: 1, LeaderID: "n1", Entries: entries, LeaderCommit: 3})
	if v, _ := n.sm.(*register).kv.Get(1); v != 2 {
		t.Fatalf("key 1 = %d after write 1, cas 1->2, duplicate write 1; want 2", v)
	}
}

// Every body survives Maelstrom's wire encoding (the process runtime sends
// JSON), and none of its fields collides with the header's type, msg_id or
// in_reply_to.
func TestBodiesSurviveTheWire(t *testing.T) {
	op := &kvstate.Op{F: "cas", Key: 3, From: 1, To: 2}
	for _, body := range []any{
		RequestVoteArgs{Term: 4, CandidateID: "n2", LastLogIndex: 9, LastLogTerm: 3},
		RequestVoteReply{Term: 4, VoteGranted: true},
		kvAppend{Term: 4, LeaderID: "n1", PrevLogIndex: 2, PrevLogTerm: 1, LeaderCommit: 2,
			Entries: []kvEntry{{Term: 4}, {Term: 4, Op: op, Client: "c7", ReqID: 12}}},
		AppendEntriesReply{Term: 4, MatchIndex: 3, ConflictIndex: 2},
		kvForward{Op: *op, Client: "c7", ReqID: 12},
	} {
		line, err := maelstrom.AppendLine(nil, maelstrom.Msg{Src: "n1", Dest: "n0", Type: "x", MsgID: 5, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		m, err := maelstrom.ParseLine(line)
		if err != nil || m.MsgID != 5 || m.IsReply() {
			t.Fatalf("%T: parsed %+v, %v", body, m, err)
		}
		var got any
		switch body.(type) {
		case RequestVoteArgs:
			got, err = maelstrom.Decode[RequestVoteArgs](m)
		case RequestVoteReply:
			got, err = maelstrom.Decode[RequestVoteReply](m)
		case kvAppend:
			got, err = maelstrom.Decode[kvAppend](m)
		case AppendEntriesReply:
			got, err = maelstrom.Decode[AppendEntriesReply](m)
		case kvForward:
			got, err = maelstrom.Decode[kvForward](m)
		}
		if err != nil || !reflect.DeepEqual(got, body) {
			t.Errorf("%T: got %+v (%v) from %s", body, got, err, line)
		}
	}
}
