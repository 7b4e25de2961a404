package pb

import (
	"encoding/json"
	"slices"
	"strconv"
)

// Durable layout: each register under dataKey, the list of
// keys present (the store cannot be listed), and the copy's position.
const (
	metaKey = "pb/meta"
	keysKey = "pb/keys"
)

func dataKey(k int) string { return "pb/reg/" + strconv.Itoa(k) }

type meta struct {
	Epoch int `json:"epoch"`
	Seq   int `json:"seq"`
}

// kv is the node's copy as a kvstate.State: reads from memory, writes to
// memory and to the store (unsynced; persist syncs).
type kv struct{ n *Node }

func (s kv) Get(k int) (int, bool) { v, ok := s.n.data[k]; return v, ok }
func (s kv) Set(k, v int)          { s.n.setData(k, v) }

func (n *Node) setData(k, v int) {
	if _, ok := n.data[k]; !ok {
		n.keysDirty = true
	}
	n.data[k] = v
	n.env.Store().Put(dataKey(k), strconv.AppendInt(nil, int64(v), 10))
}

// replaceData makes the copy exactly data (a snapshot).
func (n *Node) replaceData(data [][2]int) {
	st := n.env.Store()
	keep := make(map[int]bool, len(data))
	for _, kv := range data {
		keep[kv[0]] = true
		if cur, ok := n.data[kv[0]]; !ok || cur != kv[1] {
			n.setData(kv[0], kv[1])
		}
	}
	for _, k := range n.sortedKeys() {
		if !keep[k] {
			delete(n.data, k)
			st.Delete(dataKey(k))
			n.keysDirty = true
		}
	}
}

func (n *Node) sortedKeys() []int {
	keys := make([]int, 0, len(n.data))
	for k := range n.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// snapshotData is the copy as a sorted list, for a snapshot message.
func (n *Node) snapshotData() [][2]int {
	out := make([][2]int, 0, len(n.data))
	for _, k := range n.sortedKeys() {
		out = append(out, [2]int{k, n.data[k]})
	}
	return out
}

// persist writes the copy's position (and the key list when it changed) and
// syncs everything written so far.
func (n *Node) persist() {
	st := n.env.Store()
	b, _ := json.Marshal(meta{Epoch: n.epoch, Seq: n.seq})
	st.Put(metaKey, b)
	if n.keysDirty {
		kb, _ := json.Marshal(n.sortedKeys())
		st.Put(keysKey, kb)
		n.keysDirty = false
	}
	st.Sync()
}
