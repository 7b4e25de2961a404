// Package datomic is txn-datomic: a transactor in the manner of Datomic,
// as Maelstrom's Datomic tutorial builds one (doc/05-datomic: "Shared
// State", "Persistent Trees" and the thunk cache of "Optimization").
//
// The database is an immutable value kept in the lin-kv service: every
// key's value is a thunk, an immutable lin-kv entry under a fresh id, and
// the map from keys to thunk ids is a thunk too. One mutable entry, the
// root, names the current map. A node executes a transaction by reading the
// root, loading the thunks it needs, applying the transaction to build new
// thunks for what it changed, writing them, and finally moving the root
// from the map it read to the new one with a compare-and-set. If another
// transaction moved the root first, the compare-and-set fails and the
// transaction is answered txn-conflict, having changed nothing anyone can
// see. Read-only transactions need no compare-and-set.
//
// Strict serializability follows from the root's linearizability (Herlihy
// & Wing 1990): a transaction takes effect at its compare-and-set, or, if
// it only reads, at its read of the root, and everything it read was the
// state the root named at that instant, because thunks never change. Since
// thunks never change, a node may cache every thunk it has read or written.
//
// Each node runs one transaction at a time (the tutorial's transactor
// lock). Thunk ids are node, incarnation and a counter, the incarnation
// counted in the node's durable store, so that a restarted node never
// reuses an id a live map still names.
package datomic

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/txn/txnstate"
)

const (
	service    = "lin-kv"
	rootKey    = "root"
	rpcTimeout = time.Second
)

const tutorial = "Maelstrom, doc/05-datomic (Datomic transactor): the database as an immutable value behind one linearizable root pointer"

// Expect: txn-datomic is strict serializable under every fault, because
// everything hinges on lin-kv, which faults do not touch.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true, Reason: "a transaction takes effect at its compare-and-set of the linearizable root, over immutable thunks", Reference: tutorial},
	{Nemesis: "partition", Safe: true, Reason: "nodes never talk to each other, and links to lin-kv are not cut (as in Maelstrom)", Reference: tutorial},
	{Nemesis: "kill", Safe: true, Reason: "all state is in lin-kv; a crash before the compare-and-set leaves only thunks no map names, and ids are never reused across incarnations", Reference: tutorial},
	{Nemesis: "pause", Safe: true, Reason: "a resumed node's compare-and-set from the root it read before the pause fails if the root has moved", Reference: "Herlihy & Wing, Linearizability (1990): compare-and-set on a linearizable object"},
	{Nemesis: "packet", Safe: true, Reason: "faults between servers touch no link it uses; lin-kv links have latency but no faults", Reference: tutorial},
	{Nemesis: "clock", Safe: true, Reason: "no decision depends on a clock reading", Reference: "Lamport, Time, Clocks, and the Ordering of Events (1978)"},
}

// Strategy is txn-datomic's catalog entry.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name: "txn-datomic", Group: "transactions", New: New, Expect: Expect, Workload: "txn-list-append",
		Summary: "Datomic-style transactor: immutable thunks in lin-kv behind a root pointer moved by compare-and-set (strict serializable)",
	}
}

// Bodies of the lin-kv requests, with JSON keys and values.
type (
	readBody struct {
		Key string `json:"key"`
	}
	writeBody struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	}
	casBody struct {
		Key    string `json:"key"`
		From   string `json:"from"`
		To     string `json:"to"`
		Create bool   `json:"create_if_not_exists,omitempty"`
	}
	readOK struct {
		Value json.RawMessage `json:"value"`
	}
)

// dbMap is a map thunk: each key's value thunk id.
type dbMap struct {
	id      string
	entries map[int]string
}

// MarshalJSON writes the map as [[k, id], ...] in key order, as the
// tutorial stores it.
func (m *dbMap) MarshalJSON() ([]byte, error) {
	keys := make([]int, 0, len(m.entries))
	for k := range m.entries {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	pairs := make([][2]any, len(keys))
	for i, k := range keys {
		pairs[i] = [2]any{k, m.entries[k]}
	}
	return json.Marshal(pairs)
}

func decodeMap(id string, raw []byte) (*dbMap, error) {
	var rows [][2]json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("map thunk %s: %v", id, err)
	}
	m := &dbMap{id: id, entries: make(map[int]string, len(rows))}
	for _, r := range rows {
		var k int
		var thunk string
		if err := json.Unmarshal(r[0], &k); err != nil {
			return nil, fmt.Errorf("map thunk %s: key: %v", id, err)
		}
		if err := json.Unmarshal(r[1], &thunk); err != nil {
			return nil, fmt.Errorf("map thunk %s: thunk id: %v", id, err)
		}
		m.entries[k] = thunk
	}
	return m, nil
}

// Node is one transactor.
type Node struct {
	env    nodes.Env
	inc    int
	nextID int

	queue []maelstrom.Msg // transactions waiting for the one running
	busy  bool

	values map[string]any // value thunks read or written: immutable, so cached
	last   *dbMap         // the map thunk last read or written
}

// New returns a node.
func New() nodes.Node { return &Node{} }

func (n *Node) Init(env nodes.Env) {
	n.env, n.values = env, map[string]any{}
	n.inc = txnstate.Incarnation(env.Store())
}

func (n *Node) newID() string {
	n.nextID++
	return fmt.Sprintf("%s-%d-%d", n.env.ID(), n.inc, n.nextID)
}

func (n *Node) Handle(msg maelstrom.Msg) {
	if msg.Type != "txn" {
		n.env.ReplyError(msg, maelstrom.NotSupported, "txn-datomic serves txn requests only")
		return
	}
	n.queue = append(n.queue, msg)
	n.next()
}

// next starts the next waiting transaction unless one is running.
func (n *Node) next() {
	if n.busy || len(n.queue) == 0 {
		return
	}
	msg := n.queue[0]
	n.queue = n.queue[1:]
	t, err := txnstate.Decode(msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		n.next()
		return
	}
	n.busy = true
	(&transaction{n: n, req: msg, t: t}).readRoot()
}

// transaction is one transaction in progress, step by step.
type transaction struct {
	n    *Node
	req  maelstrom.Msg
	t    txn.Txn
	root string // the root's map id; "" when there is no root yet
	m    *dbMap
}

// finish answers the client (an error when code is not 0) and lets the
// next transaction run.
func (tx *transaction) finish(done txn.Txn, code int, text string) {
	n := tx.n
	if code != 0 {
		n.env.ReplyError(tx.req, code, text)
	} else {
		txnstate.Reply(n.env, tx.req, done)
	}
	n.busy = false
	n.next()
}

// abort ends a transaction that changed nothing: a definite error.
func (tx *transaction) abort(step string, err error) {
	tx.finish(nil, maelstrom.Abort, step+": "+err.Error())
}

// Step 1: read the root.
func (tx *transaction) readRoot() {
	tx.n.env.RPC(service, "read", readBody{Key: rootKey}, rpcTimeout, func(resp maelstrom.Msg, err error) {
		switch {
		case maelstrom.ErrorCode(err) == maelstrom.KeyDoesNotExist:
			tx.m = &dbMap{entries: map[int]string{}}
			tx.loadValues()
		case err != nil:
			tx.abort("reading the root", err)
		default:
			if err := decodeRead(resp, &tx.root); err != nil {
				tx.abort("reading the root", err)
				return
			}
			tx.loadMap()
		}
	})
}

// Step 2: load the map the root names, unless it is the one cached.
func (tx *transaction) loadMap() {
	n := tx.n
	if n.last != nil && n.last.id == tx.root {
		tx.m = n.last
		tx.loadValues()
		return
	}
	n.env.RPC(service, "read", readBody{Key: tx.root}, rpcTimeout, func(resp maelstrom.Msg, err error) {
		var raw json.RawMessage
		if err == nil {
			err = decodeRead(resp, &raw)
		}
		if err == nil {
			tx.m, err = decodeMap(tx.root, raw)
		}
		if err != nil {
			tx.abort("loading map "+tx.root, err)
			return
		}
		n.last = tx.m
		tx.loadValues()
	})
}

// Step 3: load the value thunks of the keys the transaction reads or
// appends to, those not cached, all at once.
func (tx *transaction) loadValues() {
	n := tx.n
	var missing []string
	wanted := map[string]bool{}
	for _, m := range tx.t {
		id, ok := tx.m.entries[m.Key]
		if !ok || m.F == txn.Write || wanted[id] {
			continue
		}
		if _, cached := n.values[id]; !cached {
			wanted[id] = true
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		tx.execute()
		return
	}
	left, failed := len(missing), false
	for _, id := range missing {
		n.env.RPC(service, "read", readBody{Key: id}, rpcTimeout, func(resp maelstrom.Msg, err error) {
			var raw json.RawMessage
			if err == nil {
				err = decodeRead(resp, &raw)
			}
			var v any
			if err == nil {
				v, err = txnstate.DecodeValue(raw)
			}
			if failed {
				return
			}
			if err != nil {
				failed = true
				tx.abort("loading thunk "+id, err)
				return
			}
			n.values[id] = v
			if left--; left == 0 {
				tx.execute()
			}
		})
	}
}

// view is the database the transaction read, as a txnstate.State whose
// writes go to fresh thunks.
type view struct {
	tx      *transaction
	written map[int]any
}

func (v view) Get(k int) any {
	if id, ok := v.tx.m.entries[k]; ok {
		return v.tx.n.values[id]
	}
	return nil
}

func (v view) Put(k int, value any) { v.written[k] = value }

// Step 4: apply the transaction to the database it read. A read-only one
// is done; otherwise write the new thunks.
func (tx *transaction) execute() {
	n := tx.n
	done, writes, rpcErr := txnstate.Apply(view{tx: tx, written: map[int]any{}}, tx.t)
	if rpcErr != nil {
		tx.finish(nil, rpcErr.Code, rpcErr.Text)
		return
	}
	if len(writes) == 0 {
		tx.finish(done, 0, "")
		return
	}
	next := &dbMap{id: n.newID(), entries: make(map[int]string, len(tx.m.entries)+len(writes))}
	for k, id := range tx.m.entries {
		next.entries[k] = id
	}
	thunks := map[string]any{}
	ids := make([]string, len(writes))
	for i, w := range writes {
		ids[i] = n.newID()
		next.entries[w.Key] = ids[i]
		thunks[ids[i]] = w.Value
	}
	// The map last, in the same batch: nothing names it until the
	// compare-and-set, which waits for every write.
	ids = append(ids, next.id)
	left, failed := len(ids), false
	for _, id := range ids {
		var value any = next
		if id != next.id {
			value = thunks[id]
		}
		n.env.RPC(service, "write", writeBody{Key: id, Value: value}, rpcTimeout, func(_ maelstrom.Msg, err error) {
			if failed {
				return
			}
			if err != nil {
				failed = true
				tx.abort("writing thunk "+id, err)
				return
			}
			if left--; left == 0 {
				tx.commit(next, thunks, done)
			}
		})
	}
}

// Step 5: move the root from the map read to the new one. Only now does
// the transaction take effect.
func (tx *transaction) commit(next *dbMap, thunks map[string]any, done txn.Txn) {
	n := tx.n
	cas := casBody{Key: rootKey, From: tx.root, To: next.id}
	if tx.root == "" {
		// No root yet: create it. Should another node create it first,
		// the comparison with an id never stored fails.
		cas.From, cas.Create = next.id, true
	}
	n.env.RPC(service, "cas", cas, rpcTimeout, func(_ maelstrom.Msg, err error) {
		switch code := maelstrom.ErrorCode(err); {
		case err == nil:
			for id, v := range thunks {
				n.values[id] = v
			}
			n.last = next
			tx.finish(done, 0, "")
		case code == maelstrom.PreconditionFailed || code == maelstrom.KeyDoesNotExist:
			tx.finish(nil, maelstrom.TxnConflict, "another transaction moved the root first")
		default:
			// The compare-and-set may have taken effect: indefinite.
			tx.finish(nil, maelstrom.Crash, "moving the root: "+err.Error())
		}
	})
}

// decodeRead unmarshals a lin-kv read_ok's value into dst.
func decodeRead(resp maelstrom.Msg, dst any) error {
	body, err := maelstrom.Decode[readOK](resp)
	if err != nil {
		return err
	}
	return json.Unmarshal(body.Value, dst)
}
