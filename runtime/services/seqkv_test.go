package services

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// The non-concurrent history Maelstrom's docs give as legal for seq-kv: n1's
// second write is served from the past, where it changes nothing, so n2
// still reads 2.
func TestSeqKVDocExample(t *testing.T) {
	// Each request draws the state it runs on, counted from the oldest its
	// client may see.
	r := &scriptedRand{t: t, draws: []int{
		0, // n1 write x=1: on state 0 it changes the store, so it runs on the newest, making state 1
		1, // n2 cas x 1→2: on state 1, changes it, runs on the newest, making state 2
		0, // n1 write x=1: on state 1 (n1's floor), where x is already 1
		0, // n2 read x: n2 saw state 2, the newest
		0, // n1 read x: still allowed state 1
	}}
	env := newFakeEnv(t, "seq-kv", r)
	s := newSeqKV(seqWindow)
	s.Init(env)
	steps := []struct {
		src, line, want string
	}{
		{"n1", `"type":"write","msg_id":1,"key":"x","value":1`, "write_ok"},
		{"n2", `"type":"cas","msg_id":1,"key":"x","from":1,"to":2`, "cas_ok"},
		{"n1", `"type":"write","msg_id":2,"key":"x","value":1`, "write_ok"},
		{"n2", `"type":"read","msg_id":2,"key":"x"`, "read_ok 2"},
		{"n1", `"type":"read","msg_id":3,"key":"x"`, "read_ok 1"},
	}
	for i, st := range steps {
		reply := env.handleLine(s, fmt.Sprintf(`{"src":%q,"dest":"seq-kv","body":{%s}}`, st.src, st.line))
		if got := summary(t, reply, nil); got != st.want {
			t.Fatalf("step %d (%s %s): got %s, want %s", i, st.src, st.line, got, st.want)
		}
	}
	if s.last != 2 {
		t.Errorf("the store went through %d states, want 2", s.last)
	}
}

// Each client writes its own key and reads all keys. seq-kv may serve stale
// values, but never older than the client has seen (in any key), never
// older than its own writes, and never older than its window of states.
func TestSeqKVStalenessBounds(t *testing.T) {
	const clients, requests, window = 5, 5000, 8
	env := newFakeEnv(t, "seq-kv", rand.New(rand.NewPCG(7, 7)))
	s := newSeqKV(window)
	s.Init(env)
	rng := rand.New(rand.NewPCG(1, 1))

	states := 0
	writes := map[string][]int{} // per key: the states its writes made, which are also the values written
	floor := map[string]int{}    // per client: a lower bound on the state it last saw
	stale, maxLag := 0, 0
	for i := range requests {
		c := fmt.Sprintf("n%d", rng.IntN(clients))
		if rng.IntN(3) == 0 { // write the client's own key
			states++
			reply := env.handleLine(s, fmt.Sprintf(`{"src":%q,"dest":"seq-kv","body":{"type":"write","msg_id":%d,"key":%q,"value":%d}}`, c, i+1, c, states))
			if reply.Type != "write_ok" {
				t.Fatalf("write: %s %+v", reply.Type, reply.Body)
			}
			writes[c] = append(writes[c], states)
			floor[c] = states
			continue
		}
		key := fmt.Sprintf("n%d", rng.IntN(clients))
		reply := env.handle(s, maelstrom.Msg{Src: c, Type: "read", MsgID: i + 1, Body: ReadBody{Key: key}})
		// The read ran on some state in [from, to]: from the write of the
		// value it returned (0 when it found no value) to the next write.
		from, to := 0, states
		switch err := reply.Err(); {
		case reply.Type == "read_ok":
			v, _ := maelstrom.Decode[maelstrom.ReadOKBody](reply)
			from = v.Value
		case err == nil || err.Code != maelstrom.KeyDoesNotExist:
			t.Fatalf("read of %s: %s %+v", key, reply.Type, reply.Body)
		}
		for _, w := range writes[key] {
			if w > from {
				to = w - 1
				break
			}
		}
		switch {
		case to < floor[c]:
			t.Fatalf("request %d: %s read %s from a state at most %d, but had seen state %d", i, c, key, to, floor[c])
		case to < states-window+1:
			t.Fatalf("request %d: %s read %s from a state at most %d, older than the window (newest %d, window %d)", i, c, key, to, states, window)
		case to < states:
			stale++
			maxLag = max(maxLag, states-to)
		}
		floor[c] = max(floor[c], from)
		if own := writes[c]; key == c && len(own) > 0 && from != own[len(own)-1] {
			t.Fatalf("request %d: %s read its own key as %d after writing %d", i, c, from, own[len(own)-1])
		}
	}
	// The bounds above hold for lin-kv too; seq-kv must actually use the
	// slack they leave.
	if stale < requests/50 {
		t.Errorf("only %d of %d requests read stale values", stale, requests)
	}
	if maxLag < window/2 {
		t.Errorf("reads lagged by at most %d states, window %d", maxLag, window)
	}
	t.Logf("%d stale reads, lagging up to %d states", stale, maxLag)
}

// A client's cas on its own key always sees its own last write, however
// stale its view of other keys.
func TestSeqKVOwnCASSucceeds(t *testing.T) {
	env := newFakeEnv(t, "seq-kv", rand.New(rand.NewPCG(3, 3)))
	s := newSeqKV(seqWindow)
	s.Init(env)
	last := map[int]int{}
	for i := range 2000 {
		c := i % 4
		src := fmt.Sprintf("n%d", c)
		msg := maelstrom.Msg{Src: src, Type: "cas", MsgID: i + 1, Body: CASBody{Key: c, From: last[c], To: i, CreateIfNotExists: true}}
		if reply := env.handle(s, msg); reply.Type != "cas_ok" {
			t.Fatalf("cas %d of %s from its last write %d: %s %+v", i, src, last[c], reply.Type, reply.Body)
		}
		last[c] = i
	}
}

// Versions no kept state can see are forgotten: memory stays bounded by the
// window, not by the number of writes.
func TestSeqKVForgetsOldVersions(t *testing.T) {
	env := newFakeEnv(t, "seq-kv", nil)
	s := newSeqKV(4)
	s.Init(env)
	for i := range 100 {
		env.handle(s, maelstrom.Msg{Src: "n0", Type: "write", MsgID: i + 1, Body: maelstrom.WriteBody{Key: 1, Value: i}})
	}
	if n := len(s.keys["1"]); n > 5 {
		t.Errorf("key 1 keeps %d versions after 100 writes, window 4", n)
	}
}
