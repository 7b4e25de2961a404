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
//     the key's preference list. No sloppy quorum and no hinted handoff
//     (Dynamo §4.6): only the N home replicas count, which makes the quorums
//     strict, the configuration most favourable to consistency.
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
// What the harness shows (5 nodes, 100 ops/s, 5 ms, faults every 3 s, seeds
// 1-10): clock 10/10 with the standard workload; without faults, and under
// partition, kill, pause and packet, 0/10 with ten keys and a constant
// delay, but with one key, 200 ops/s, four reads to a write and exponential
// delays: none 8/10, partition 7/10, kill 4/10, pause 6/10, packet 8/10. The
// same contended runs with R=3, W=1 (reads see every replica) are valid.
package lww

import (
	"encoding/json"
	"hash/fnv"
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
	// Timeout is how long a coordinator waits for its quorum.
	Timeout time.Duration
	// ReadRepair sends the winning version to replicas that answered a read
	// with an older one.
	ReadRepair bool
}

// DefaultConfig is Dynamo's common configuration: N=3, R=2, W=2, so that
// R+W>N, with read repair.
func DefaultConfig() Config {
	return Config{N: 3, R: 2, W: 2, Timeout: time.Second, ReadRepair: true}
}

// Message types between nodes.
const (
	typePut   = "lww_put"
	typePutOK = "lww_put_ok"
	typeGet   = "lww_get"
	typeGetOK = "lww_get_ok"
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

// PutBody asks a replica to store a version.
type PutBody struct {
	Key     int     `json:"key"`
	Version Version `json:"version"`
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

// Node is one LWW node: a replica for its share of the keys and a
// coordinator for its clients.
type Node struct {
	cfg  Config
	env  nodes.Env
	ring []string
	seq  int64
}

// New returns a node with the default configuration.
func New() nodes.Node { return NewWith(DefaultConfig()) }

// NewWith returns a node with the given configuration.
func NewWith(cfg Config) nodes.Node { return &Node{cfg: cfg} }

func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.ring = slices.Clone(env.NodeIDs())
	slices.Sort(n.ring)
	if n.cfg.Timeout <= 0 {
		n.cfg.Timeout = DefaultConfig().Timeout
	}
	n.cfg.N = max(1, min(n.cfg.N, len(n.ring)))
	n.cfg.R = max(1, min(n.cfg.R, n.cfg.N))
	n.cfg.W = max(1, min(n.cfg.W, n.cfg.N))
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
		n.store(b.Key, b.Version)
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

func (n *Node) coordinateWrite(req maelstrom.Msg, key, value int) {
	n.seq++
	v := Version{Value: value, Stamp: Stamp{T: int64(n.env.Now()), Node: n.env.ID(), Seq: n.seq}}
	replicas := n.Replicas(key)
	acks, fails, done := 0, 0, false
	result := func(ok bool) {
		if done {
			return
		}
		if ok {
			if acks++; acks >= n.cfg.W {
				done = true
				n.env.Reply(req, "write_ok", nil)
			}
			return
		}
		if fails++; fails > len(replicas)-n.cfg.W {
			done = true
			// Some replicas may have stored it: the outcome is unknown.
			n.env.ReplyError(req, maelstrom.Timeout, "write quorum not reached")
		}
	}
	body := PutBody{Key: key, Version: v}
	for _, r := range replicas {
		if r == n.env.ID() {
			n.store(key, v)
			result(true)
			continue
		}
		n.env.RPC(r, typePut, body, n.cfg.Timeout, func(_ maelstrom.Msg, err error) { result(err == nil) })
	}
}

// answer is one replica's reply to a read.
type answer struct {
	replica string
	found   bool
	version Version
}

func (n *Node) coordinateRead(req maelstrom.Msg, key int) {
	replicas := n.Replicas(key)
	var answers []answer
	fails, done := 0, false
	var best answer
	repair := func(a answer) {
		if !n.cfg.ReadRepair || !best.found || a.found && !a.version.Stamp.Less(best.version.Stamp) {
			return
		}
		if a.replica == n.env.ID() {
			n.store(key, best.version)
		} else {
			n.env.Send(a.replica, typePut, PutBody{Key: key, Version: best.version})
		}
	}
	got := func(a answer) {
		if done {
			repair(a) // a late answer
			return
		}
		answers = append(answers, a)
		if a.found && (!best.found || best.version.Stamp.Less(a.version.Stamp)) {
			best = a
		}
		if len(answers) < n.cfg.R {
			return
		}
		done = true
		if best.found {
			n.env.Reply(req, "read_ok", maelstrom.ReadOKBody{Value: best.version.Value})
		} else {
			n.env.ReplyError(req, maelstrom.KeyDoesNotExist, "key does not exist")
		}
		for _, a := range answers {
			repair(a)
		}
	}
	failed := func() {
		if done {
			return
		}
		if fails++; fails > len(replicas)-n.cfg.R {
			done = true
			// Nothing was changed (no repair without a quorum).
			n.env.ReplyError(req, maelstrom.TemporarilyUnavailable, "read quorum not reached")
		}
	}
	for _, r := range replicas {
		if r == n.env.ID() {
			v, ok := n.load(key)
			got(answer{replica: r, found: ok, version: v})
			continue
		}
		n.env.RPC(r, typeGet, GetBody{Key: key}, n.cfg.Timeout, func(resp maelstrom.Msg, err error) {
			if err != nil {
				failed()
				return
			}
			b, derr := maelstrom.Decode[GetOKBody](resp)
			if derr != nil {
				failed()
				return
			}
			got(answer{replica: r, found: b.Found, version: b.Version})
		})
	}
}
