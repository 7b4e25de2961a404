// Package pb is the primary-backup approach to replication, the engine that
// the three reference strategies pb-sync, pb-async and pb-read-replica
// (packages pbsync, pbasync and pbreadreplica) are configurations of.
//
// Sources: N. Budhiraja, K. Marzullo, F. B. Schneider and S. Toueg, "The
// Primary-Backup Approach", in Distributed Systems (2nd ed., S. Mullender,
// ed.), 1993, ch. 8 (cited as "Budhiraja et al."); A. S. Tanenbaum and M. van
// Steen, Distributed Systems: Principles and Paradigms, 2nd ed., §7.5.1
// "Primary-Based Protocols" (remote-write and local-read variants).
//
// # Mechanism
//
// One node, the primary (initially n0), orders every update. It applies an
// update to its own copy, syncs it to its durable store, and sends the new
// value of the key to every backup in its view over a FIFO stream (sequence
// numbers per epoch; a backup applies them in order, buffering gaps, and the
// primary retransmits until acknowledged). When the client is told depends
// on the Mode:
//
//   - Sync (pb-sync, Budhiraja et al.'s blocking protocol, Tanenbaum's
//     remote-write protocol): after every backup in the view has applied and
//     synced the update. Operations on a key are executed one at a time, so a
//     read at the primary never sees an update that is not yet on every
//     backup.
//   - Async (pb-async, Tanenbaum's "non-blocking" variant): as soon as the
//     primary itself has it; the updates are shipped to the backups in a
//     batch at the next heartbeat tick.
//   - ReadReplica (pb-read-replica, Tanenbaum's primary-backup with local
//     reads): updates as in Sync, but every node answers reads from its own
//     copy at once.
//
// Non-primary nodes forward client requests to the node they believe is
// primary and relay the answer; a forward that times out is reported with
// the indefinite code 0.
//
// Failure detection is by heartbeat, timed with the node's timers only (the
// clock is never read): the primary heartbeats every node and drops from its
// view a backup it has not heard from for SuspectTicks ticks; a backup
// heartbeats the primary. A backup that stops hearing the primary promotes
// itself when it is the lowest-numbered surviving member of the view it last
// learned from the primary: it waits for each lower-numbered member in turn
// and passes over one it does not hear claim the primary role within
// SuspectTicks. There is no agreement among the backups (no consensus): this
// is what makes the approach unsafe once the failure detector can be wrong.
//
// A new primary starts a new epoch and pushes its whole state (a snapshot)
// to the members of its view before it serves anything, so that writes the
// old primary had sent to some backups but never acknowledged vanish
// everywhere instead of resurfacing later. A primary does not step down
// because it hears another node claim the role: it goes on believing it is
// primary until a node it sends to refuses it — a backup that follows a
// primary of a higher epoch (or of the same epoch and a lower id), or such a
// primary itself. It then rejoins as a backup, and what it acknowledged on
// its own is lost.
//
// A forwarded request that the network delivers twice is executed once (the
// primary remembers forwarded message ids for a few seconds), as TCP would
// ensure; every other message is idempotent or sequence-numbered.
//
// # Crash recovery
//
// The textbook protocol tolerates crash failures; nodes here also restart
// (the kill fault restarts them), so a restarted node comes back as
// "recovering": it serves nothing from its copy (except ReadReplica reads),
// waits to hear a primary, asks to join, and is brought up to date with a
// snapshot. The primary first tells the current members about the joiner and
// waits for their acknowledgements, so that every node that might take over
// knows the joiner is a candidate. When every other node says it is
// recovering too (all were killed), the one with the highest (epoch, applied
// sequence number) becomes primary: the last primary applied and synced
// every write before replicating it, so its copy is the most advanced and
// holds every acknowledged write.
//
// # Why pb-sync is safe under kill but not under partition or pause
//
// Under kill the failure detector is accurate: a node that stops answering
// has crashed. An acknowledged write was applied and synced by the primary
// and every member of its view before the acknowledgement, and a node leaves
// the view only by crashing (or by asking to rejoin after a restart), after
// which it comes back only through a snapshot. So every node that can become
// primary, a live member, holds every acknowledged write. It may lack, or
// alone hold, writes the dead primary had sent but not acknowledged; its
// snapshot makes every member agree with it, and no read ever showed such a
// write, since reads at the primary wait for the writes before them on the
// same key to reach every member.
//
// Under a partition, a pause or heavy message loss the detector suspects live
// nodes: the other side promotes a backup while the old primary, alone in
// its view, keeps acknowledging writes and serving reads (split brain); a
// paused primary is replaced while it sleeps, and when it resumes it answers
// the requests that queued up meanwhile from its stale copy, before any
// backup has refused it.
package pb

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// Mode chooses when the primary acknowledges a write and who serves reads.
type Mode int

const (
	// Sync acknowledges a write after every backup in the view has it;
	// reads are served by the primary.
	Sync Mode = iota
	// Async acknowledges a write once the primary has it.
	Async
	// ReadReplica replicates as Sync but serves reads at every node from
	// its local copy.
	ReadReplica
)

func (m Mode) String() string {
	switch m {
	case Sync:
		return "sync"
	case Async:
		return "async"
	case ReadReplica:
		return "read-replica"
	}
	return "mode-" + strconv.Itoa(int(m))
}

// Timing. Every duration is measured with the node's own timers.
const (
	// Tick is the heartbeat period.
	Tick = 50 * time.Millisecond
	// SuspectTicks is how many ticks of silence make a node suspect another
	// (more than 150 ms): the low end of Raft's election timeout, so that
	// pb and raft are compared with the same failure detector.
	SuspectTicks = 3
	// joinTicks is how often a recovering node repeats its join request.
	joinTicks = 4
	// RetryTimeout is how long the primary waits for a backup's
	// acknowledgement before it sends an update again.
	RetryTimeout = 200 * time.Millisecond
	// ForwardTimeout is how long a node waits for the primary's answer to a
	// forwarded request before it tells the client the outcome is unknown.
	ForwardTimeout = time.Second
	// HoldTimeout is how long a request waits for a primary to be known (or
	// a new primary to finish taking over) before it fails definitely.
	HoldTimeout = time.Second
)

// Message types between nodes.
const (
	typeHeartbeat = "pb_hb"
	typeUpdate    = "pb_update"
	typeSnapshot  = "pb_snap"
	typeAck       = "pb_ack"
	typeNack      = "pb_nack"
	typeJoin      = "pb_join"
	typeForward   = "pb_fwd"
)

// Heartbeat statuses.
const (
	statusPrimary    = "primary"
	statusBackup     = "backup"
	statusRecovering = "recovering"
)

// HeartbeatBody says the sender is alive and what it believes.
type HeartbeatBody struct {
	Epoch   int      `json:"epoch"`
	Primary string   `json:"primary,omitempty"` // the primary the sender follows or targets
	Status  string   `json:"status"`
	Seq     int      `json:"seq"`            // recovering: last applied update
	View    []string `json:"view,omitempty"` // primary: its backups
	VV      int      `json:"vv,omitempty"`   // primary: view version
}

// UpdateBody is one element of the primary's stream: a key's new value, or a
// no-op that only carries a new view.
type UpdateBody struct {
	Epoch int      `json:"epoch"`
	Seq   int      `json:"seq"`
	View  []string `json:"view"`
	VV    int      `json:"vv"`
	Noop  bool     `json:"noop,omitempty"`
	Key   int      `json:"key"`
	Value int      `json:"value"`
}

// SnapshotBody replaces a backup's whole copy with the primary's, as of
// stream position Seq.
type SnapshotBody struct {
	Epoch int      `json:"epoch"`
	Seq   int      `json:"seq"`
	View  []string `json:"view"`
	VV    int      `json:"vv"`
	Data  [][2]int `json:"data"` // key, value; sorted by key
}

// AckBody acknowledges stream position Seq.
type AckBody struct {
	Epoch int `json:"epoch"`
	Seq   int `json:"seq"`
}

// NackBody refuses a stream message and says whom the sender follows.
type NackBody struct {
	Epoch   int    `json:"epoch"`
	Primary string `json:"primary,omitempty"`
}

// JoinBody asks the primary for a snapshot and a place in its view. Token
// names one recovery attempt, so that a repeated request is not mistaken
// for a restart.
type JoinBody struct {
	Epoch int   `json:"epoch"`
	Token int64 `json:"token"`
}

// ForwardBody carries a client's operation to the primary.
type ForwardBody struct {
	Op kvstate.Op `json:"op"`
}

type role int

const (
	rolePrimary    role = iota
	roleBackup          // synced with primary at epoch
	roleWaiting         // synced, primary suspected, waiting for a candidate
	roleRecovering      // not synced: needs a snapshot
)

func (r role) String() string {
	return [...]string{"primary", "backup", "waiting", "recovering"}[r]
}

// Node is one primary-backup node.
type Node struct {
	mode Mode
	env  nodes.Env
	id   string
	ids  []string
	rank map[string]int

	// The copy and its position: the epoch of the primary it came from and
	// the last stream position applied. All durable.
	data      map[int]int
	epoch     int
	seq       int
	keysDirty bool

	role    role
	primary string   // backup, waiting: the primary followed
	view    []string // the primary's view (its backups), as last learned; never mutated
	vv      int

	// waiting
	candidates []string
	waitFor    string
	waitStart  int

	// recovering
	target      string
	targetEpoch int
	token       int64
	lastJoin    int
	recStatus   map[string]peerStatus

	buf map[int]buffered // stream messages beyond the next expected one

	ticks int
	heard map[string]int  // tick of the last message from each node
	sent  map[string]bool // nodes sent something this tick

	primaryState
	held []*heldOp

	// Forwarded requests seen recently, by sender and message id, so that a
	// duplicated delivery is not executed twice (what TCP would do).
	seen     map[fwdID]bool
	seenList []seenEntry
}

type fwdID struct {
	src string
	id  int
}

type seenEntry struct {
	fwdID
	tick int
}

// seenTicks is how long a forwarded request's id is remembered (5 s): far
// longer than any duplicate can lag behind the original.
const seenTicks = 100

// seenForward reports whether msg was delivered before, and remembers it.
func (n *Node) seenForward(msg maelstrom.Msg) bool {
	for len(n.seenList) > 0 && n.ticks-n.seenList[0].tick > seenTicks {
		delete(n.seen, n.seenList[0].fwdID)
		n.seenList = n.seenList[1:]
	}
	id := fwdID{msg.Src, msg.MsgID}
	if n.seen[id] {
		return true
	}
	n.seen[id] = true
	n.seenList = append(n.seenList, seenEntry{id, n.ticks})
	return false
}

type peerStatus struct {
	epoch, seq, tick int
}

type buffered struct {
	msg  maelstrom.Msg
	body UpdateBody
}

type heldOp struct {
	req       maelstrom.Msg
	op        kvstate.Op
	forwarded bool
	done      bool
}

// New returns a node replicating in the given mode.
func New(mode Mode) nodes.Node { return &Node{mode: mode} }

// Init loads the durable copy. On the very first start n0 is primary and the
// others are its backups, all with the same empty copy; after a restart a
// node is recovering.
func (n *Node) Init(env nodes.Env) {
	n.env, n.id, n.ids = env, env.ID(), env.NodeIDs()
	n.rank = make(map[string]int, len(n.ids))
	for i, id := range n.ids {
		n.rank[id] = i
	}
	n.data, n.heard, n.sent = map[int]int{}, map[string]int{}, map[string]bool{}
	n.recStatus, n.buf, n.seen = map[string]peerStatus{}, map[int]buffered{}, map[fwdID]bool{}
	n.primaryState = primaryState{queues: map[int][]*clientOp{}, tokens: map[string]int64{}}

	if n.load() {
		n.role = roleRecovering
		n.becomeRecovering("", 0)
		n.env.Logf("restarted at epoch %d seq %d: recovering", n.epoch, n.seq)
	} else {
		n.persist()
		others := n.others()
		if n.id == n.ids[0] {
			n.role, n.primary = rolePrimary, n.id
			n.members = others
			n.vv = 1
			n.refreshView()
			n.env.SetRole("primary")
		} else {
			n.role, n.primary, n.view, n.vv = roleBackup, n.ids[0], n.ids[1:], 1
			n.env.SetRole("backup")
		}
	}
	n.env.SetTimer(Tick, n.tick)
}

// others lists every node but this one, in rank order.
func (n *Node) others() []string {
	out := make([]string, 0, len(n.ids))
	for _, id := range n.ids {
		if id != n.id {
			out = append(out, id)
		}
	}
	return out
}

// outranks reports whether primary a of epoch ea beats primary b of epoch
// eb: the higher epoch, then the lower id. Anyone beats nobody ("").
func (n *Node) outranks(a string, ea int, b string, eb int) bool {
	switch {
	case a == "":
		return false
	case b == "":
		return true
	case ea != eb:
		return ea > eb
	}
	return n.rank[a] < n.rank[b]
}

func (n *Node) byRank(a, b string) int { return cmp.Compare(n.rank[a], n.rank[b]) }

func (n *Node) isPeer(id string) bool { _, ok := n.rank[id]; return ok && id != n.id }

// silent reports whether nothing has come from id for SuspectTicks ticks.
func (n *Node) silent(id string) bool { return n.ticks-n.heard[id] > SuspectTicks }

// send, rpc and reply go through env and note the destination, so that the
// tick does not heartbeat a node that heard from this one anyway.
func (n *Node) send(dest, typ string, body any) {
	n.sent[dest] = true
	n.env.Send(dest, typ, body)
}

func (n *Node) rpc(dest, typ string, body any, timeout time.Duration, cb func(maelstrom.Msg, error)) {
	n.sent[dest] = true
	n.env.RPC(dest, typ, body, timeout, func(resp maelstrom.Msg, err error) {
		if err == nil || maelstrom.ErrorCode(err) != maelstrom.Timeout {
			n.heard[dest] = n.ticks
		}
		cb(resp, err)
	})
}

func (n *Node) reply(req maelstrom.Msg, typ string, body any) {
	n.sent[req.Src] = true
	n.env.Reply(req, typ, body)
}

// Handle dispatches one message.
func (n *Node) Handle(msg maelstrom.Msg) {
	if n.isPeer(msg.Src) {
		n.heard[msg.Src] = n.ticks
	}
	switch msg.Type {
	case "read", "write", "cas":
		op, _, err := kvstate.Decode(msg)
		if err != nil {
			n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
			return
		}
		n.serve(msg, op, false)
	case typeForward:
		b, err := maelstrom.Decode[ForwardBody](msg)
		if err != nil {
			n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
			return
		}
		if n.seenForward(msg) {
			return // a duplicate delivery: the original is being answered
		}
		n.serve(msg, b.Op, true)
	case typeHeartbeat:
		if b, err := maelstrom.Decode[HeartbeatBody](msg); err == nil {
			n.onHeartbeat(msg.Src, b)
		}
	case typeUpdate:
		if b, err := maelstrom.Decode[UpdateBody](msg); err == nil {
			n.onUpdate(msg, b)
		}
	case typeSnapshot:
		if b, err := maelstrom.Decode[SnapshotBody](msg); err == nil {
			n.onSnapshot(msg, b)
		}
	case typeNack:
		if b, err := maelstrom.Decode[NackBody](msg); err == nil {
			n.onNack(b)
		}
	case typeJoin:
		if b, err := maelstrom.Decode[JoinBody](msg); err == nil {
			n.onJoin(msg.Src, b)
		}
	default:
		if msg.HasMsgID() {
			n.env.ReplyError(msg, maelstrom.NotSupported, "pb serves read, write and cas")
		}
	}
}

// serve answers a client operation, or one forwarded by another node.
func (n *Node) serve(req maelstrom.Msg, op kvstate.Op, forwarded bool) {
	if n.mode == ReadReplica && !op.Mutates() {
		// Local read, whatever this node's role.
		kvstate.Apply(kv{n}, op).Reply(n.env, req, op)
		return
	}
	switch {
	case n.role == rolePrimary && n.activating:
		n.hold(req, op, forwarded)
	case n.role == rolePrimary:
		n.execute(req, op)
	case forwarded:
		// Never forward twice: the sender believed this node primary.
		n.env.ReplyError(req, maelstrom.TemporarilyUnavailable, n.id+" is not the primary")
	default:
		if p := n.knownPrimary(); p != "" {
			n.forward(req, op, p)
		} else {
			n.hold(req, op, false)
		}
	}
}

// knownPrimary is where to forward requests, "" when nobody is known.
func (n *Node) knownPrimary() string {
	switch n.role {
	case roleBackup:
		return n.primary
	case roleRecovering:
		return n.target
	}
	return ""
}

func (n *Node) forward(req maelstrom.Msg, op kvstate.Op, dest string) {
	n.rpc(dest, typeForward, ForwardBody{Op: op}, ForwardTimeout, func(resp maelstrom.Msg, err error) {
		// A timeout stays code 0: the primary may have applied the write.
		kvstate.ReplyWith(n.env, req, resp, err)
	})
}

// hold keeps a request until a primary is known and ready, or fails it
// definitely after HoldTimeout: nothing was done with it.
func (n *Node) hold(req maelstrom.Msg, op kvstate.Op, forwarded bool) {
	h := &heldOp{req: req, op: op, forwarded: forwarded}
	n.held = append(slices.DeleteFunc(n.held, func(h *heldOp) bool { return h.done }), h)
	n.env.SetTimer(HoldTimeout, func() {
		if !h.done {
			h.done = true
			n.env.ReplyError(req, maelstrom.TemporarilyUnavailable, "no primary ready")
		}
	})
}

// flushHeld serves the held requests again, now that something changed.
func (n *Node) flushHeld() {
	held := n.held
	n.held = nil
	for _, h := range held {
		if !h.done {
			h.done = true
			n.serve(h.req, h.op, h.forwarded)
		}
	}
}

// tick runs the failure detector and sends heartbeats.
func (n *Node) tick() {
	n.ticks++
	switch n.role {
	case rolePrimary:
		n.ship()
		for _, m := range slices.Concat(n.members, n.joining) {
			if n.silent(m) {
				n.dropMember(m, "silent")
			}
		}
	case roleBackup:
		if n.silent(n.primary) {
			n.suspectPrimary()
		}
	case roleWaiting:
		if n.ticks-n.waitStart > SuspectTicks {
			n.eliminate(n.waitFor)
		}
	case roleRecovering:
		n.recoveringTick()
	}
	n.heartbeat()
	clear(n.sent)
	n.env.SetTimer(Tick, n.tick)
}

func (n *Node) heartbeat() {
	switch n.role {
	case rolePrimary:
		b := HeartbeatBody{Epoch: n.epoch, Primary: n.id, Status: statusPrimary, View: n.view, VV: n.vv}
		for _, p := range n.ids {
			if p != n.id && !n.sent[p] {
				n.send(p, typeHeartbeat, b)
			}
		}
	case roleBackup:
		if !n.sent[n.primary] {
			n.send(n.primary, typeHeartbeat, HeartbeatBody{Epoch: n.epoch, Primary: n.primary, Status: statusBackup, Seq: n.seq})
		}
	case roleRecovering:
		b := HeartbeatBody{Epoch: n.epoch, Primary: n.target, Status: statusRecovering, Seq: n.seq}
		for _, p := range n.ids {
			if p != n.id {
				n.send(p, typeHeartbeat, b)
			}
		}
	}
}

func (n *Node) onHeartbeat(src string, b HeartbeatBody) {
	switch b.Status {
	case statusPrimary:
		n.onPrimaryClaim(src, b)
	case statusRecovering:
		n.recStatus[src] = peerStatus{epoch: b.Epoch, seq: b.Seq, tick: n.ticks}
		if n.role == roleWaiting && src == n.waitFor {
			n.eliminate(src)
		}
	}
}

// onPrimaryClaim handles a heartbeat from a node that says it is primary.
// Hearing a claim never deposes a primary: it goes on believing it is
// primary until a node it sends to refuses it (a nack from a backup that
// follows a newer primary, or from a primary that outranks it). A node that
// does not follow the claimant refuses it the same way.
func (n *Node) onPrimaryClaim(src string, b HeartbeatBody) {
	switch n.role {
	case rolePrimary:
		if !n.outranks(src, b.Epoch, n.id, n.epoch) {
			n.send(src, typeNack, NackBody{Epoch: n.epoch, Primary: n.id})
		}
	case roleBackup, roleWaiting:
		switch {
		case src == n.primary && b.Epoch == n.epoch:
			if n.role == roleWaiting {
				// The primary is back (it was slow, not dead).
				n.role, n.candidates, n.waitFor = roleBackup, nil, ""
				n.flushHeld()
			}
			if b.VV > n.vv {
				n.view, n.vv = b.View, b.VV
			}
			if !slices.Contains(n.view, n.id) {
				// Dropped from the view: our copy may miss updates.
				n.becomeRecovering(src, b.Epoch)
			}
		case n.outranks(src, b.Epoch, n.primary, n.epoch):
			// A newer primary. If we are in its view its snapshot is on
			// the way and will be accepted; otherwise we ask to join.
			n.becomeRecovering(src, b.Epoch)
		default:
			n.send(src, typeNack, NackBody{Epoch: n.epoch, Primary: n.primary})
		}
	case roleRecovering:
		switch {
		case b.Epoch >= n.epoch && (n.target == "" || n.outranks(src, b.Epoch, n.target, n.targetEpoch)):
			n.setTarget(src, b.Epoch)
		case n.target != "" && n.target != src:
			n.send(src, typeNack, NackBody{Epoch: n.targetEpoch, Primary: n.target})
		}
	}
}

// onNack handles a refusal sent as a message of its own (an answer to a
// heartbeat): a primary that is outranked steps down.
func (n *Node) onNack(b NackBody) {
	if n.role == rolePrimary && n.outranks(b.Primary, b.Epoch, n.id, n.epoch) {
		n.stepDown(b.Primary, b.Epoch)
	}
}

// suspectPrimary starts the takeover: candidates are the members of the
// view as last learned, lowest id first.
func (n *Node) suspectPrimary() {
	n.env.Logf("suspect primary %s (epoch %d)", n.primary, n.epoch)
	n.role = roleWaiting
	n.candidates = slices.DeleteFunc(slices.Clone(n.view), func(s string) bool { return s == n.primary })
	if !slices.Contains(n.candidates, n.id) {
		n.candidates = append(n.candidates, n.id)
	}
	slices.SortFunc(n.candidates, n.byRank)
	n.pickCandidate()
}

// pickCandidate waits for the lowest remaining candidate, or promotes this
// node when it is the lowest.
func (n *Node) pickCandidate() {
	c := n.candidates[0]
	if c == n.id {
		n.promote(slices.Clone(n.candidates[1:]))
		return
	}
	n.waitFor, n.waitStart = c, n.ticks
}

func (n *Node) eliminate(c string) {
	n.env.Logf("pass over candidate %s", c)
	n.candidates = slices.DeleteFunc(n.candidates, func(s string) bool { return s == c })
	n.pickCandidate()
}

func (n *Node) becomeRecovering(target string, epoch int) {
	if n.role != roleRecovering {
		n.env.Logf("recovering (was %v of %s at epoch %d)", n.role, n.primary, n.epoch)
	}
	n.role, n.primary, n.candidates, n.waitFor = roleRecovering, "", nil, ""
	n.token = n.env.Rand().Int64()
	n.lastJoin = n.ticks - joinTicks
	n.target, n.targetEpoch = "", 0
	clear(n.buf)
	n.env.SetRole("backup")
	if target != "" {
		n.setTarget(target, epoch)
	}
}

func (n *Node) setTarget(target string, epoch int) {
	if n.target == target && n.targetEpoch == epoch {
		return
	}
	n.target, n.targetEpoch = target, epoch
	clear(n.buf)
	n.flushHeld()
}

func (n *Node) recoveringTick() {
	if n.target != "" && n.silent(n.target) {
		n.target, n.targetEpoch = "", 0
	}
	if n.target != "" {
		if n.ticks-n.lastJoin >= joinTicks {
			n.lastJoin = n.ticks
			n.send(n.target, typeJoin, JoinBody{Epoch: n.targetEpoch, Token: n.token})
		}
		return
	}
	// Nobody is primary. If every other node says it is recovering too
	// (all were down), the most advanced copy takes over.
	best, bestEpoch, bestSeq := n.id, n.epoch, n.seq
	for _, p := range n.ids {
		if p == n.id {
			continue
		}
		st, ok := n.recStatus[p]
		if !ok || n.ticks-st.tick > SuspectTicks {
			return
		}
		if st.epoch > bestEpoch || st.epoch == bestEpoch && (st.seq > bestSeq || st.seq == bestSeq && n.rank[p] < n.rank[best]) {
			best, bestEpoch, bestSeq = p, st.epoch, st.seq
		}
	}
	if best == n.id {
		n.env.Logf("every node is recovering; taking over with epoch %d seq %d", n.epoch, n.seq)
		n.promote(n.others())
	}
}

// load reads the durable copy; false on a first start.
func (n *Node) load() bool {
	st := n.env.Store()
	b, ok := st.Get(metaKey)
	if !ok {
		return false
	}
	var m meta
	if json.Unmarshal(b, &m) == nil {
		n.epoch, n.seq = m.Epoch, m.Seq
	}
	var keys []int
	if b, ok := st.Get(keysKey); ok {
		_ = json.Unmarshal(b, &keys)
	}
	for _, k := range keys {
		if b, ok := st.Get(dataKey(k)); ok {
			if v, err := strconv.Atoi(string(b)); err == nil {
				n.data[k] = v
			}
		}
	}
	return true
}
