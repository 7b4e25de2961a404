// Package txnstate is what a transaction does to the data, shared by the
// transactional reference nodes: Maelstrom's micro-operations applied in
// order, reads filled in. The nodes differ in where the data lives and how
// they order transactions, not in what a transaction does, so the "what"
// lives here once.
//
// A key holds nothing (never written), an int (txn-rw-register: "w"
// replaces it) or a list of ints (txn-list-append: "append" adds to its
// end). Lists are never changed in place: an append makes a new list, so a
// list that has been read or sent stays as it was.
package txnstate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// Decode reads a txn request. Every micro-op must be a read, a write or an
// append, and writes and appends must carry integers; otherwise the error
// says which micro-op is wrong (answer it with malformed-request).
func Decode(msg maelstrom.Msg) (txn.Txn, error) {
	body, err := maelstrom.Decode[txn.Body](msg)
	if err != nil {
		return nil, err
	}
	for i, m := range body.Txn {
		switch m.F {
		case txn.Read:
		case txn.Write, txn.Append:
			if _, ok := m.Value.(int); !ok {
				return nil, fmt.Errorf("micro-op %d: %s of %v to key %d: the value must be an integer", i, m.F, m.Value, m.Key)
			}
		default:
			return nil, fmt.Errorf("micro-op %d: unknown function %q (want r, w or append)", i, m.F)
		}
	}
	return body.Txn, nil
}

// Reply answers req with the completed transaction.
func Reply(env nodes.Env, req maelstrom.Msg, done txn.Txn) {
	env.Reply(req, "txn_ok", txn.Body{Txn: done})
}

// State is where the values live.
type State interface {
	Get(key int) any // nil, int or []int
	Put(key int, value any)
}

// Apply executes t against s, micro-op by micro-op: a read sees what the
// key holds, including this transaction's own earlier writes, and a write
// or append changes it. Writes reach s only once the whole transaction has
// run, in key order; a micro-op that does not fit what its key holds (an
// append to a register) aborts the transaction with nothing written.
// It returns the transaction with its reads filled in, and the keys it
// wrote with their new values, in key order.
func Apply(s State, t txn.Txn) (txn.Txn, []Write, *maelstrom.RPCError) {
	written := map[int]any{}
	get := func(k int) any {
		if v, ok := written[k]; ok {
			return v
		}
		return s.Get(k)
	}
	done := make(txn.Txn, len(t))
	for i, m := range t {
		done[i] = m
		cur := get(m.Key)
		switch m.F {
		case txn.Read:
			done[i].Value = cur
		case txn.Write:
			if _, ok := cur.([]int); ok {
				return nil, nil, mismatch(i, m, "a list")
			}
			written[m.Key] = m.Value
		case txn.Append:
			if _, ok := cur.(int); ok {
				return nil, nil, mismatch(i, m, "a register")
			}
			written[m.Key] = Appended(cur, m.Value.(int))
		}
	}
	writes := make([]Write, 0, len(written))
	for k, v := range written {
		writes = append(writes, Write{Key: k, Value: v})
	}
	sort.Slice(writes, func(i, j int) bool { return writes[i].Key < writes[j].Key })
	for _, w := range writes {
		s.Put(w.Key, w.Value)
	}
	return done, writes, nil
}

// Write is a key's new value after a transaction.
type Write struct {
	Key   int
	Value any
}

func mismatch(i int, m txn.Mop, holds string) *maelstrom.RPCError {
	return maelstrom.NewRPCError(maelstrom.Abort, fmt.Sprintf("micro-op %d: cannot %s to key %d, which holds %s", i, m.F, m.Key, holds))
}

// Appended is a new list: list (a []int or nil) with v at its end.
func Appended(list any, v int) []int {
	old, _ := list.([]int)
	out := make([]int, len(old)+1)
	copy(out, old)
	out[len(old)] = v
	return out
}

// Mem is a State in memory.
type Mem map[int]any

func (m Mem) Get(key int) any        { return m[key] }
func (m Mem) Put(key int, value any) { m[key] = value }

// Durable is a State in a node's durable store, one JSON value per key.
// Writes are not synced: the caller syncs once per transaction.
type Durable struct{ Store nodes.Store }

func storeKey(k int) string { return "txn/" + strconv.Itoa(k) }

func (d Durable) Get(key int) any {
	b, ok := d.Store.Get(storeKey(key))
	if !ok {
		return nil
	}
	v, err := DecodeValue(b)
	if err != nil {
		panic(fmt.Sprintf("txnstate: stored value of key %d is corrupt: %v", key, err))
	}
	return v
}

func (d Durable) Put(key int, value any) {
	b, err := json.Marshal(value)
	if err != nil {
		panic(fmt.Sprintf("txnstate: encoding key %d: %v", key, err))
	}
	d.Store.Put(storeKey(key), b)
}

// DecodeValue reads a value written as JSON: null, an integer or a list of
// integers.
func DecodeValue(b []byte) (any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	if _, ok := v.([]any); ok {
		var list []int
		err := json.Unmarshal(b, &list)
		return list, err
	}
	var n int
	err := json.Unmarshal(b, &n)
	return n, err
}

// Incarnation counts a node's starts in its durable store and returns this
// one's number (1, 2, ...), so that what a restarted node names afresh
// (transactions, thunks) never takes a name its earlier incarnation used.
func Incarnation(s nodes.Store) int {
	inc := 0
	if b, ok := s.Get("incarnation"); ok {
		inc, _ = strconv.Atoi(string(b))
	}
	inc++
	s.Put("incarnation", []byte(strconv.Itoa(inc)))
	s.Sync()
	return inc
}
