// Package lww is leaderless replication in the style of Amazon's Dynamo:
// each key lives on N replicas; the node a client talks to coordinates its
// requests, writing to the replicas and waiting for W acknowledgements, or
// reading from them and waiting for R answers; conflicting versions are
// resolved by last-writer-wins on timestamps from the coordinator's clock.
//
// Sources: G. DeCandia et al., "Dynamo: Amazon's Highly Available Key-value
// Store", SOSP 2007 (§4.2-4.3 consistent hashing and the preference list,
// §4.5 get and put with R and W, R+W>N); M. Kleppmann, Designing
// Data-Intensive Applications, 2017, ch. 5 "Leaderless Replication" (quorums,
// read repair, last write wins), ch. 8 "Unreliable Clocks" (timestamps for
// ordering events) and ch. 9 "Linearizability and quorums" (why such
// quorums are not linearizable); Cassandra's client-timestamp last write
// wins is the same rule.
//
// # Mechanism
//
//   - Placement: the replicas of a key are N consecutive nodes of the ring
//     of node ids sorted by name, starting at a hash (FNV-1a) of the key:
//     the key's preference list, its home replicas.
//   - Sloppy quorum and hinted handoff (Dynamo §4.6), on by default as in
//     Dynamo and Riak: a request goes to the first N nodes of the ring that
//     the coordinator does not believe down. A node that does not answer
//     within Timeout is believed down and replaced by the next node of the
//     ring, which takes the write with a hint naming the home replica it
//     stands in for. Every HandoffInterval a node pings the nodes it
//     believes down (an answer brings them back) and hands its hinted
//     writes to their home replicas, then forgets them. This is what keeps
//     Dynamo "always writeable": any W nodes that can talk to each other
//     accept writes, even on both sides of a partition. Config.Sloppy
//     false gives strict quorums over the home replicas only.
//   - Write: the coordinator stamps the value with its clock (Env.Now, the
//     node-local clock, which the clock nemesis skews), its id and a
//     counter, sends it to the N replicas and acknowledges after W of them
//     have it. A replica keeps the version with the highest stamp, syncs it,
//     and acknowledges whether or not the write won: an older-stamped write
//     is silently discarded, as last-writer-wins does.
//   - Read: the coordinator asks the N replicas, answers with the highest
//     stamped value among the first R answers, and sends that version to any
//     replica that answered with an older one (read repair, asynchronous:
//     the client does not wait for it).
//   - cas is not supported (error 10, definite): a quorum system without
//     consensus has no atomic read-modify-write.
//
// # Expected behaviour
//
// Not linearizable, even with R+W>N and no faults: DDIA ch. 9 ("Linearizability
// and quorums") shows a reader that sees a write on one replica while a later
// reader, whose quorum has not received it yet, sees the old value; the
// write, still in flight, is concurrent with both reads, but the two reads
// are not concurrent with each other. It takes variable message delays to
// produce (with a constant delay every replica receives a write before any
// later read request), which the simulator's exponential latency gives. Under
// clock skew, a write stamped by a slow clock loses to an earlier write from
// a fast clock and is discarded although acknowledged (DDIA ch. 8 "Timestamps
// for ordering events"). A write that fails midway (coordinator killed or
// cut off after reaching one replica) stays on that replica and is seen by
// some reads and not others.
//
// With a sloppy quorum a partition no longer blocks the minority side: each
// side with W nodes writes and reads its own copies, so a read on one side
// misses an acknowledged write on the other (DDIA ch. 5 "Sloppy Quorums and
// Hinted Handoff": even with R+W>N a read may not see the latest value).
// After a pause, a crash or a partition heals, a home replica is believed up
// again before the writes held for it are handed back: reads that reach it
// and another replica that missed the write return the old value.
//
// What the harness shows: see the package's tests and docs/strategies.md.
package lww

import (
	"encoding/json"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// Config sets the replication factor and the quorums.
type Config struct {
	N int // replicas per key
	R int // answers a read waits for
	W int // acknowledgements a write waits for
	// Timeout is how long a coordinator waits for one node before it gives
	// up on it (and, with a sloppy quorum, believes it down and tries the
	// next node of the ring).
	Timeout time.Duration
	// ReadRepair sends the winning version to nodes that answered a read
	// with an older one.
	ReadRepair bool
	// Sloppy uses the first N nodes believed up instead of the N home
	// replicas, with hinted handoff.
	Sloppy bool
	// HandoffInterval is how often a node pings the nodes it believes down
	// and hands hinted writes back.
	HandoffInterval time.Duration
}

// DefaultConfig is Dynamo's common configuration: N=3, R=2, W=2, so that
// R+W>N, with read repair, a sloppy quorum and hinted handoff.
func DefaultConfig() Config {
	return Config{N: 3, R: 2, W: 2, Timeout: 500 * time.Millisecond, ReadRepair: true,
		Sloppy: true, HandoffInterval: time.Second}
}

// Message types between nodes.
const (
	typePut    = "lww_put"
	typePutOK  = "lww_put_ok"
	typeGet    = "lww_get"
	typeGetOK  = "lww_get_ok"
	typePing   = "lww_ping"
	typePingOK = "lww_ping_ok"
)

// Stamp orders versions: the coordinator's clock, then its id, then its
// counter, so that no two writes tie.
type Stamp struct {
	T    int64  `json:"t"` // coordinator's Env.Now at the write, in ns
	Node string `json:"node"`
	Seq  int64  `json:"seq"`
}

// Less reports whether s is older than o.
func (s Stamp) Less(o Stamp) bool {
	if s.T != o.T {
		return s.T < o.T
	}
	if s.Node != o.Node {
		return s.Node < o.Node
	}
	return s.Seq < o.Seq
}

// Version is a stamped value.
type Version struct {
	Value int   `json:"value"`
	Stamp Stamp `json:"stamp"`
}

// PutBody asks a node to store a version; Hint, when set, names the home
// replica the node holds it for.
type PutBody struct {
	Key     int     `json:"key"`
	Version Version `json:"version"`
	Hint    string  `json:"hint,omitempty"`
}

// GetBody asks a replica for its version of a key.
type GetBody struct {
	Key int `json:"key"`
}

// GetOKBody is a replica's version, if it has one.
type GetOKBody struct {
	Found   bool    `json:"found"`
	Version Version `json:"version"`
}

// Node is one LWW node: a replica for its share of the keys, a stand-in for
// other nodes' shares while they are believed down, and a coordinator for
// its clients.
type Node struct {
	cfg  Config
	env  nodes.Env
	ring []string
	seq  int64
	// down is this node's failure detector: the nodes that did not answer
	// and have not answered a ping since.
	down map[string]bool
	// hints holds the writes this node stood in for: home replica -> key ->
	// the newest version held for it. Durable, as Dynamo keeps hinted
	// replicas in a separate local database.
	hints map[string]map[int]Version
}

// New returns a node with the default configuration.
func New() nodes.Node { return NewWith(DefaultConfig()) }

// NewWith returns a node with the given configuration.
func NewWith(cfg Config) nodes.Node { return &Node{cfg: cfg} }

const hintsKey = "lww-hints"

func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.ring = slices.Clone(env.NodeIDs())
	slices.Sort(n.ring)
	def := DefaultConfig()
	if n.cfg.Timeout <= 0 {
		n.cfg.Timeout = def.Timeout
	}
	if n.cfg.HandoffInterval <= 0 {
		n.cfg.HandoffInterval = def.HandoffInterval
	}
	n.cfg.N = max(1, min(n.cfg.N, len(n.ring)))
	n.cfg.R = max(1, min(n.cfg.R, n.cfg.N))
	n.cfg.W = max(1, min(n.cfg.W, n.cfg.N))
	n.down = map[string]bool{}
	n.hints = map[string]map[int]Version{}
	if b, ok := env.Store().Get(hintsKey); ok {
		_ = json.Unmarshal(b, &n.hints) // a torn write loses hints, as a lost disk would
	}
	if n.cfg.Sloppy {
		env.SetTimer(n.cfg.HandoffInterval, n.handoff)
	}
}

// Replicas is key's preference list.
func (n *Node) Replicas(key int) []string {
	return PreferenceList(n.ring, key, n.cfg.N)
}

// PreferenceList is the n nodes of the sorted ring that hold key: the
// successors of the key's hash.
func PreferenceList(ring []string, key, n int) []string {
	h := fnv.New32a()
	h.Write([]byte(strconv.Itoa(key)))
	start := int(h.Sum32() % uint32(len(ring)))
	out := make([]string, 0, n)
	for i := range min(n, len(ring)) {
		out = append(out, ring[(start+i)%len(ring)])
	}
	return out
}

func (n *Node) Handle(msg maelstrom.Msg) {
	switch msg.Type {
	case "read", "write":
		op, _, err := kvstate.Decode(msg)
		if err != nil {
			n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
			return
		}
		if op.F == "read" {
			n.coordinateRead(msg, op.Key)
		} else {
			n.coordinateWrite(msg, op.Key, op.Value)
		}
	case "cas":
		n.env.ReplyError(msg, maelstrom.NotSupported, "lww has no compare-and-set: last writer wins")
	case typePut:
		b, err := maelstrom.Decode[PutBody](msg)
		if err != nil {
			n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
			return
		}
		n.put(b)
		if msg.HasMsgID() { // read repair is one-way
			n.env.Reply(msg, typePutOK, nil)
		}
	case typeGet:
		b, err := maelstrom.Decode[GetBody](msg)
		if err != nil {
			n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
			return
		}
		v, ok := n.load(b.Key)
		n.env.Reply(msg, typeGetOK, GetOKBody{Found: ok, Version: v})
	case typePing:
		n.env.Reply(msg, typePingOK, nil)
	default:
		if msg.HasMsgID() {
			n.env.ReplyError(msg, maelstrom.NotSupported, "lww serves read and write")
		}
	}
}

func storeKey(key int) string { return "lww/" + strconv.Itoa(key) }

func (n *Node) load(key int) (Version, bool) {
	b, ok := n.env.Store().Get(storeKey(key))
	if !ok {
		return Version{}, false
	}
	var v Version
	if json.Unmarshal(b, &v) != nil {
		return Version{}, false
	}
	return v, true
}

// store keeps v if it is newer than what this replica has (last writer
// wins), synced before the caller acknowledges.
func (n *Node) store(key int, v Version) {
	if cur, ok := n.load(key); ok && !cur.Stamp.Less(v.Stamp) {
		return
	}
	b, _ := json.Marshal(v)
	n.env.Store().Put(storeKey(key), b)
	n.env.Store().Sync()
}

// put stores a version and, for a stand-in, remembers whom it is for.
func (n *Node) put(b PutBody) {
	n.store(b.Key, b.Version)
	if b.Hint == "" || b.Hint == n.env.ID() {
		return
	}
	held := n.hints[b.Hint]
	if held == nil {
		held = map[int]Version{}
		n.hints[b.Hint] = held
	}
	if cur, ok := held[b.Key]; !ok || cur.Stamp.Less(b.Version.Stamp) {
		held[b.Key] = b.Version
		n.saveHints()
	}
}

func (n *Node) saveHints() {
	b, _ := json.Marshal(n.hints)
	n.env.Store().Put(hintsKey, b)
	n.env.Store().Sync()
}

// handoff is the periodic background task of a sloppy quorum: ping the
// nodes believed down, and hand hinted writes back to their home replicas.
func (n *Node) handoff() {
	n.env.SetTimer(n.cfg.HandoffInterval, n.handoff)
	for _, peer := range n.ring {
		if !n.down[peer] {
			continue
		}
		n.env.RPC(peer, typePing, nil, n.cfg.Timeout, func(_ maelstrom.Msg, err error) {
			if err == nil {
				delete(n.down, peer)
			}
		})
	}
	// In a fixed order: the order of the sends decides message ids and the
	// network's draws, so map order must not leak into it.
	for _, home := range slices.Sorted(maps.Keys(n.hints)) {
		held := n.hints[home]
		for _, key := range slices.Sorted(maps.Keys(held)) {
			v := held[key]
			n.env.RPC(home, typePut, PutBody{Key: key, Version: v}, n.cfg.Timeout, func(_ maelstrom.Msg, err error) {
				if err != nil || n.hints[home][key] != v {
					return // not back yet, or a newer hinted write arrived meanwhile
				}
				delete(n.hints[home], key)
				if len(n.hints[home]) == 0 {
					delete(n.hints, home)
				}
				n.saveHints()
				// A stand-in forgets what it held once the owner has it.
				if cur, ok := n.load(key); ok && cur == v && !slices.Contains(n.Replicas(key), n.env.ID()) {
					n.env.Store().Delete(storeKey(key))
				}
			})
		}
	}
}

// target is one node a request goes to, and the home replica it stands in
// for, if any.
type target struct{ node, hint string }

// placement chooses the nodes of one request for key and replaces those
// that fail.
type placement struct {
	n     *Node
	ring  []string // every node, starting with the key's home replicas
	tried map[string]bool
}

// place returns the first targets of a request for key: the home replicas,
// or with a sloppy quorum the first N nodes of the key's ring believed up,
// each stand-in hinted with the home replica it replaces.
func (n *Node) place(key int) (*placement, []target) {
	p := &placement{n: n, ring: PreferenceList(n.ring, key, len(n.ring)), tried: map[string]bool{}}
	var out []target
	var missing []string
	for _, home := range p.ring[:n.cfg.N] {
		if n.cfg.Sloppy && n.down[home] {
			missing = append(missing, home)
			continue
		}
		p.tried[home] = true
		out = append(out, target{node: home})
	}
	for _, home := range missing {
		if t, ok := p.standIn(home); ok {
			out = append(out, t)
		}
	}
	return p, out
}

// replace is called when t did not answer: t.node is believed down and,
// with a sloppy quorum, the next node of the ring stands in for it.
func (p *placement) replace(t target) (target, bool) {
	if !p.n.cfg.Sloppy {
		return target{}, false
	}
	p.n.down[t.node] = true
	home := t.hint
	if home == "" {
		home = t.node
	}
	return p.standIn(home)
}

// standIn picks the next untried node of the ring, past the home replicas,
// that is not believed down.
func (p *placement) standIn(home string) (target, bool) {
	for _, node := range p.ring[p.n.cfg.N:] {
		if !p.tried[node] && !p.n.down[node] {
			p.tried[node] = true
			return target{node: node, hint: home}, true
		}
	}
	return target{}, false
}

func (n *Node) coordinateWrite(req maelstrom.Msg, key, value int) {
	n.seq++
	v := Version{Value: value, Stamp: Stamp{T: int64(n.env.Now()), Node: n.env.ID(), Seq: n.seq}}
	p, targets := n.place(key)
	acks, pending, done := 0, len(targets), false
	settle := func(ok bool) {
		pending--
		if ok {
			acks++
		}
		switch {
		case done:
		case acks >= n.cfg.W:
			done = true
			n.env.Reply(req, "write_ok", nil)
		case acks+pending < n.cfg.W:
			done = true
			// Some nodes may have stored it: the outcome is unknown.
			n.env.ReplyError(req, maelstrom.Timeout, "write quorum not reached")
		}
	}
	var send func(t target)
	send = func(t target) {
		body := PutBody{Key: key, Version: v, Hint: t.hint}
		if t.node == n.env.ID() {
			n.put(body)
			settle(true)
			return
		}
		n.env.RPC(t.node, typePut, body, n.cfg.Timeout, func(_ maelstrom.Msg, err error) {
			if err == nil {
				settle(true)
			} else if next, ok := p.replace(t); ok {
				send(next) // still pending: a stand-in takes over
			} else {
				settle(false)
			}
		})
	}
	for _, t := range targets {
		send(t)
	}
}

// answer is one node's reply to a read.
type answer struct {
	node    string
	found   bool
	version Version
}

func (n *Node) coordinateRead(req maelstrom.Msg, key int) {
	p, targets := n.place(key)
	var answers []answer
	pending, done := len(targets), false
	var best answer
	repair := func(a answer) {
		if !n.cfg.ReadRepair || !best.found || a.found && !a.version.Stamp.Less(best.version.Stamp) {
			return
		}
		if a.node == n.env.ID() {
			n.store(key, best.version)
		} else {
			n.env.Send(a.node, typePut, PutBody{Key: key, Version: best.version})
		}
	}
	settle := func(a *answer) {
		pending--
		if done {
			if a != nil {
				repair(*a) // a late answer
			}
			return
		}
		if a != nil {
			answers = append(answers, *a)
			if a.found && (!best.found || best.version.Stamp.Less(a.version.Stamp)) {
				best = *a
			}
		}
		switch {
		case len(answers) >= n.cfg.R:
			done = true
			if best.found {
				n.env.Reply(req, "read_ok", maelstrom.ReadOKBody{Value: best.version.Value})
			} else {
				n.env.ReplyError(req, maelstrom.KeyDoesNotExist, "key does not exist")
			}
			for _, a := range answers {
				repair(a)
			}
		case len(answers)+pending < n.cfg.R:
			done = true
			// Nothing was changed (no repair without a quorum).
			n.env.ReplyError(req, maelstrom.TemporarilyUnavailable, "read quorum not reached")
		}
	}
	var send func(t target)
	send = func(t target) {
		if t.node == n.env.ID() {
			v, ok := n.load(key)
			settle(&answer{node: t.node, found: ok, version: v})
			return
		}
		n.env.RPC(t.node, typeGet, GetBody{Key: key}, n.cfg.Timeout, func(resp maelstrom.Msg, err error) {
			var b GetOKBody
			if err == nil {
				b, err = maelstrom.Decode[GetOKBody](resp)
			}
			if err == nil {
				settle(&answer{node: t.node, found: b.Found, version: b.Version})
			} else if next, ok := p.replace(t); ok {
				send(next)
			} else {
				settle(nil)
			}
		})
	}
	for _, t := range targets {
		send(t)
	}
}
