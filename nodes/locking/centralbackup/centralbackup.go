// Package centralbackup is primary site locking with a backup site: the
// primary site n0 grants a lock only once the backup site n1 has the
// change, and n1 takes over when it stops hearing from n0.
//
// Source: Elmasri & Navathe, Fundamentals of Database Systems (7th ed.,
// 2016), ch. 23, "Primary Site with Backup Site". In their description the
// locking information is kept at both the primary and the backup site; when
// the primary fails the backup takes over and a new backup is chosen; and
// acquiring a lock is slower, since every request and grant is recorded at
// both sites before the requester gets an answer.
//
// What the sites do:
//
//   - The acting manager (n0 at first) keeps the lock table (locktable),
//     durable at each site. For each acquire or release it changes its
//     table, sends the change to its backup and answers once the backup
//     has acknowledged it. Changes are numbered; a backup applies only the
//     next one, and asks for a copy of the whole table (the textbook's
//     copying of the lock status to a new backup) when one is missing or
//     it has restarted.
//   - The acting manager sends a heartbeat to every site every 50 ms; the
//     other sites forward requests to the acting manager they heard from
//     last, n0 when several claim it.
//   - Failure detection counts timer ticks, never reads the clock: a
//     backup that misses three heartbeats (150 ms, Raft's election timeout
//     and pb-sync's) takes over with its copy, alone. A manager whose
//     backup does not acknowledge a change within 150 ms goes on without
//     it, and copies the table to it once it answers again.
//   - n0 is the primary site: when two sites both act as manager, the one
//     that hears from n0 steps down and takes a copy of n0's table. A
//     restarted n0 knows it failed: it listens for 300 ms and, if n1 has
//     taken over, takes n1's table back before it grants anything.
//
// Expected behaviour. The scheme assumes that sites fail by stopping, and
// that a site that stopped hearing from another may treat it as failed.
// Crashes are handled: the backup has every acknowledged grant, and a
// restarted primary asks for the backup's table. Anything that silences n0
// without stopping it is not: a partition between n0 and n1, a pause of
// n0, or a loss burst longer than 150 ms on its links makes n1 take over
// while n0 still grants, with two managers granting the same locks; and
// when they meet again n1's grants are forgotten. The harness must catch
// two holders at once.
package centralbackup

import (
	"slices"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/locking/locktable"
)

// The primary and backup sites.
const (
	Primary = "n0"
	Backup  = "n1"
)

const (
	tick           = 50 * time.Millisecond
	suspectTicks   = 3 // heartbeats missed before a site is taken for failed
	mirrorTimeout  = 3 * tick
	recoverTicks   = 6 // a restarted primary listens this long for a manager
	forwardTimeout = time.Second
	copyTimeout    = time.Second
)

// Bodies between sites.
type (
	heartbeatBody struct {
		Version int64 `json:"version"`
	}
	heartbeatOKBody struct {
		// InSync: the sender is this manager's backup and has its table.
		InSync bool `json:"in_sync"`
	}
	mirrorBody struct {
		Change  locktable.Change `json:"change"`
		Version int64            `json:"version"` // this change's number
	}
	mirrorOKBody struct {
		Applied bool `json:"applied"` // false: the backup missed an earlier change
	}
	copyBody struct {
		Table   locktable.Snapshot `json:"table"`
		Version int64              `json:"version"`
	}
	failbackOKBody struct {
		Acting  bool               `json:"acting"`
		Table   locktable.Snapshot `json:"table"`
		Version int64              `json:"version"`
	}
)

// backupState is what the acting manager knows of its backup.
type backupState int

const (
	noBackup backupState = iota
	stale                // missed changes: needs a copy
	copying              // a copy is on its way
	inSync               // has every change: mirror to it
)

// Node is one site.
type Node struct {
	env   nodes.Env
	mux   *nodes.Mux
	table *locktable.Table

	acting  bool
	version int64 // changes made (acting) or applied (backup) to the table

	// As the acting manager: its backup and what it knows of it.
	backup      string
	backupState backupState

	// As the backup: whether its table is a copy of the manager's, and
	// changes that arrived ahead of one still missing, by number.
	inSync  bool
	pending map[int64]heldMirror

	// As a restarted primary: ticks left to listen for a manager.
	recovering int

	// Failure detection: ticks since each site last sent a heartbeat, for
	// the sites heard claiming to manage.
	missed map[string]int
}

// heldMirror is a change that arrived before the one it follows.
type heldMirror struct {
	req    maelstrom.Msg
	change locktable.Change
}

// New returns a site.
func New() nodes.Node { return &Node{} }

const bootedKey = "centralbackup/booted"

// Init recovers the site's table and starts its ticks.
func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.table = locktable.Durable(env.Store())
	n.missed = map[string]int{}
	n.pending = map[int64]heldMirror{}
	_, restarted := env.Store().Get(bootedKey)
	env.Store().Put(bootedKey, nil)
	env.Store().Sync()
	switch env.ID() {
	case Primary:
		if restarted {
			n.recovering = recoverTicks
		} else {
			n.becomeManager()
			n.backupState = inSync // at the start every table is empty, hence a copy
		}
	case Backup:
		n.inSync = !restarted
		n.missed[Primary] = 0 // as if heard at boot, so that it waits for a first heartbeat
	}
	n.mux = nodes.NewMux(env)
	n.mux.Handle("acquire", n.acquire)
	n.mux.Handle("release", n.release)
	n.mux.Handle("cb_heartbeat", n.handleHeartbeat)
	n.mux.Handle("cb_mirror", n.handleMirror)
	n.mux.Handle("cb_copy", n.handleCopy)
	n.mux.Handle("cb_failback", n.handleFailback)
	n.env.SetTimer(tick, n.onTick)
}

// Handle serves a request.
func (n *Node) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

func (n *Node) becomeManager() {
	n.acting = true
	n.env.SetRole("manager")
	n.backup, n.backupState = "", noBackup
	if n.env.ID() == Primary && len(n.env.NodeIDs()) > 1 {
		n.backup, n.backupState = Backup, stale // copy the table to it first
	}
	n.env.Logf("acting manager at version %d, backup %q", n.version, n.backup)
}

func (n *Node) stepDown(to string) {
	n.acting, n.inSync = false, false // the manager's table is not ours: copy it
	clear(n.pending)
	n.env.SetRole("")
	n.env.Logf("stepping down: %s manages", to)
}

// ---- ticks: heartbeats and failure detection ----

func (n *Node) onTick() {
	defer n.env.SetTimer(tick, n.onTick)
	for site := range n.missed {
		n.missed[site]++
	}
	switch {
	case n.recovering > 0:
		n.recover()
	case n.acting:
		n.heartbeat()
	case n.env.ID() == Backup && n.inSync && !n.heard(Primary):
		n.env.Logf("no heartbeat from %s for %d ticks: taking over", Primary, suspectTicks)
		n.becomeManager()
	}
}

// heard reports whether site sent a heartbeat within the last
// suspectTicks ticks.
func (n *Node) heard(site string) bool {
	m, ok := n.missed[site]
	return ok && m < suspectTicks
}

// manager is the site requests go to: the acting manager heard from most
// recently, the primary when it is among them, the primary when none is.
func (n *Node) manager() string {
	if n.acting {
		return n.env.ID()
	}
	best := ""
	for _, site := range n.env.NodeIDs() {
		if n.heard(site) && (best == "" || n.missed[site] < n.missed[best]) {
			best = site
		}
	}
	if best == "" || n.heard(Primary) {
		return Primary
	}
	return best
}

// recover is a restarted primary listening for a manager before it acts.
func (n *Node) recover() {
	n.recovering--
	for _, site := range n.env.NodeIDs() {
		if site != n.env.ID() && n.heard(site) {
			n.recovering = 0
			n.failback(site)
			return
		}
	}
	if n.recovering == 0 {
		n.becomeManager() // nobody took over: the table is as it was
	}
}

// failback takes the table back from the site that took over.
func (n *Node) failback(from string) {
	n.env.Logf("%s manages: taking its table back", from)
	n.env.RPC(from, "cb_failback", nil, copyTimeout, func(resp maelstrom.Msg, err error) {
		if n.acting {
			return
		}
		if err == nil {
			if b, derr := maelstrom.Decode[failbackOKBody](resp); derr == nil && b.Acting {
				n.table.Install(b.Table)
				n.version = b.Version
				n.env.Store().Sync()
				n.becomeManager()
				n.backupState = inSync // it stepped down with this very table
				return
			}
		}
		n.recovering = recoverTicks // listen again
	})
}

func (n *Node) heartbeat() {
	for _, site := range n.env.NodeIDs() {
		if site == n.env.ID() {
			continue
		}
		n.env.RPC(site, "cb_heartbeat", heartbeatBody{Version: n.version}, tick, func(resp maelstrom.Msg, err error) {
			if err != nil || !n.acting || site != n.backup {
				return
			}
			b, derr := maelstrom.Decode[heartbeatOKBody](resp)
			if derr != nil {
				return
			}
			if !b.InSync && n.backupState == inSync {
				n.backupState = stale // it restarted
			}
			if n.backupState == stale {
				n.copyToBackup()
			}
		})
	}
}

func (n *Node) handleHeartbeat(req maelstrom.Msg) {
	from := req.Src
	n.missed[from] = 0
	if n.acting && slices.Index(n.env.NodeIDs(), from) < slices.Index(n.env.NodeIDs(), n.env.ID()) {
		n.stepDown(from) // the primary site manages
	}
	n.env.Reply(req, "cb_heartbeat_ok", heartbeatOKBody{InSync: !n.acting && n.inSync})
}

// ---- mirroring ----

// copyToBackup sends the backup a copy of the whole table; it is in sync
// once it has a copy with every change.
func (n *Node) copyToBackup() {
	n.backupState = copying
	body := copyBody{Table: n.table.Snapshot(), Version: n.version}
	n.env.RPC(n.backup, "cb_copy", body, copyTimeout, func(_ maelstrom.Msg, err error) {
		if n.backupState != copying {
			return
		}
		if err != nil || body.Version != n.version {
			n.backupState = stale // lost, or changes since: again at the next heartbeat
			return
		}
		n.backupState = inSync
	})
}

func (n *Node) handleCopy(req maelstrom.Msg) {
	b, err := maelstrom.Decode[copyBody](req)
	if err != nil {
		n.env.ReplyError(req, maelstrom.MalformedRequest, err.Error())
		return
	}
	if n.acting {
		n.env.ReplyError(req, maelstrom.TemporarilyUnavailable, "managing, not a backup")
		return
	}
	n.missed[req.Src] = 0 // a manager's copy is as good as its heartbeat
	n.table.Install(b.Table)
	n.version, n.inSync = b.Version, true
	n.env.Store().Sync()
	n.env.Reply(req, "cb_copy_ok", nil)
	n.applyHeld()
}

// handleMirror applies the manager's changes in the order it made them,
// holding one that arrives early until those before it have arrived.
func (n *Node) handleMirror(req maelstrom.Msg) {
	b, err := maelstrom.Decode[mirrorBody](req)
	if err != nil {
		n.env.ReplyError(req, maelstrom.MalformedRequest, err.Error())
		return
	}
	if !n.acting {
		n.missed[req.Src] = 0 // a manager's change is as good as its heartbeat
	}
	switch {
	case n.acting || !n.inSync:
		n.env.Reply(req, "cb_mirror_ok", mirrorOKBody{Applied: false}) // the manager must send a copy
	case b.Version > n.version+1:
		n.pending[b.Version] = heldMirror{req: req, change: b.Change}
	default:
		n.pending[b.Version] = heldMirror{req: req, change: b.Change}
		n.applyHeld()
	}
}

// applyHeld applies the held changes that are next in order, and
// acknowledges those the table already has.
func (n *Node) applyHeld() {
	for _, v := range sortedVersions(n.pending) {
		h := n.pending[v]
		switch {
		case v <= n.version: // a duplicate, or covered by a copy
		case v == n.version+1:
			n.table.Apply(h.change)
			n.version = v
			n.env.Store().Sync()
		default:
			return
		}
		delete(n.pending, v)
		n.env.Reply(h.req, "cb_mirror_ok", mirrorOKBody{Applied: true})
	}
}

func sortedVersions(m map[int64]heldMirror) []int64 {
	vs := make([]int64, 0, len(m))
	for v := range m {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

func (n *Node) handleFailback(req maelstrom.Msg) {
	n.missed[req.Src] = 0 // heard from: the primary is back
	if !n.acting {
		n.env.Reply(req, "cb_failback_ok", failbackOKBody{})
		return
	}
	n.env.Reply(req, "cb_failback_ok", failbackOKBody{Acting: true, Table: n.table.Snapshot(), Version: n.version})
	n.stepDown(req.Src)
	n.inSync = true // the primary takes this very table
}

// ---- clients ----

func (n *Node) acquire(req maelstrom.Msg) {
	b, ok := locktable.DecodeAcquire(n.env, req)
	if !ok {
		return
	}
	if !n.acting {
		n.forward(req, "acquire", b)
		return
	}
	// The textbook lock manager knows no leases: ttl_ms is ignored.
	g, err := n.table.Acquire(b.Lock, b.Client, n.env.Now(), 0)
	n.commit(b.Lock, b.Client, func() { locktable.ReplyAcquire(n.env, req, g, err, n.env.ID()) })
}

func (n *Node) release(req maelstrom.Msg) {
	b, ok := locktable.DecodeRelease(n.env, req)
	if !ok {
		return
	}
	if !n.acting {
		n.forward(req, "release", b)
		return
	}
	err := n.table.Release(b.Lock, b.Client, b.Token, n.env.Now())
	n.commit(b.Lock, b.Client, func() { locktable.ReplyRelease(n.env, req, err) })
}

// commit makes a change durable here and at the backup, then answers: the
// grant is recorded at both sites before the response is sent. A backup
// that does not acknowledge in time is taken for failed, and the manager
// answers alone.
func (n *Node) commit(lock, owner string, answer func()) {
	n.version++
	n.env.Store().Sync()
	if n.backupState != inSync {
		answer()
		return
	}
	body := mirrorBody{Change: n.table.ChangeOf(lock, owner), Version: n.version}
	n.env.RPC(n.backup, "cb_mirror", body, mirrorTimeout, func(resp maelstrom.Msg, err error) {
		applied := false
		if err == nil {
			b, derr := maelstrom.Decode[mirrorOKBody](resp)
			applied = derr == nil && b.Applied
		}
		if !applied && n.backupState == inSync {
			n.env.Logf("backup %s did not take change %d: going on without it", n.backup, body.Version)
			n.backupState = stale
		}
		answer()
	})
}

// forward sends a request to the acting manager and relays its answer. A
// site that would send it to itself (a restarted primary still listening)
// refuses it: nothing was granted.
func (n *Node) forward(req maelstrom.Msg, typ string, body any) {
	m := n.manager()
	if m == n.env.ID() {
		n.env.ReplyError(req, maelstrom.TemporarilyUnavailable, "no acting manager known")
		return
	}
	n.env.RPC(m, typ, body, forwardTimeout, func(resp maelstrom.Msg, err error) {
		locktable.Relay(n.env, req, resp, err)
	})
}
