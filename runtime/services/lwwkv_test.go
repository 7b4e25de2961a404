package services

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// lwwStep is one request to a two-replica lww-kv with its random draws:
// merge source, merge destination, then the replica that serves it.
type lwwStep struct {
	src, dst, replica int
	typ               string
	body              any
	want              string
}

func runLWW(t *testing.T, steps []lwwStep) *lwwKV {
	t.Helper()
	r := &scriptedRand{t: t}
	env := newFakeEnv(t, "lww-kv", r)
	s := newLWWKV(2)
	s.Init(env)
	for i, st := range steps {
		r.draws = []int{st.src, st.dst, st.replica}
		reply := env.handle(s, maelstrom.Msg{Src: "n0", Type: st.typ, MsgID: i + 1, Body: st.body})
		if got := summary(t, reply, nil); got != st.want {
			t.Fatalf("step %d: %s %s on replica %d: got %s, want %s", i, st.typ, mustJSON(t, st.body), st.replica, got, st.want)
		}
	}
	return s
}

func TestLWWKVReplicasDivergeUntilMerged(t *testing.T) {
	runLWW(t, []lwwStep{
		{0, 0, 0, "write", WriteBody{Key: "x", Value: 1}, "write_ok"},
		{0, 0, 1, "read", ReadBody{Key: "x"}, "error 20"},               // replica 1 never heard of x
		{1, 0, 1, "read", ReadBody{Key: "x"}, "error 20"},               // merging 1 into 0 does not help 1
		{0, 1, 1, "read", ReadBody{Key: "x"}, "read_ok 1"},              // merging 0 into 1 does
		{0, 0, 0, "cas", CASBody{Key: "x", From: 1, To: 2}, "cas_ok"},   //
		{0, 0, 1, "cas", CASBody{Key: "x", From: 2, To: 3}, "error 22"}, // replica 1 still has 1
		{0, 0, 1, "cas", CASBody{Key: "y", From: 0, To: 1, CreateIfNotExists: true}, "cas_ok"},
		{1, 0, 0, "read", ReadBody{Key: "y"}, "read_ok 1"},
	})
}

// Last write wins by Lamport stamp, not by real time: a replica that has
// stamped more writes beats a later write on a replica that stamped fewer.
// This is the pathology lww-kv exists to show.
func TestLWWKVLaterWriteCanLose(t *testing.T) {
	s := runLWW(t, []lwwStep{
		{0, 0, 0, "write", WriteBody{Key: "y", Value: 0}, "write_ok"},     // replica 0 stamps 0
		{0, 0, 0, "write", WriteBody{Key: "x", Value: "old"}, "write_ok"}, // replica 0 stamps 1
		{0, 0, 1, "write", WriteBody{Key: "x", Value: "new"}, "write_ok"}, // replica 1 stamps 0, later in real time
		{1, 0, 0, "read", ReadBody{Key: "x"}, `read_ok "old"`},
		{0, 1, 1, "read", ReadBody{Key: "x"}, `read_ok "old"`}, // the newer write is lost
	})
	if c0, c1 := s.replicas[0].clock, s.replicas[1].clock; c0 != 2 || c1 != 2 {
		t.Errorf("clocks after merging both ways: %d and %d, want 2 and 2 (the larger)", c0, c1)
	}
}

// On equal stamps the merge source wins, as in Maelstrom; merged the other
// way, both replicas then agree.
func TestLWWKVTieGoesToTheSource(t *testing.T) {
	runLWW(t, []lwwStep{
		{0, 0, 0, "write", WriteBody{Key: "x", Value: "a"}, "write_ok"},
		{0, 0, 1, "write", WriteBody{Key: "x", Value: "b"}, "write_ok"},
		{1, 0, 0, "read", ReadBody{Key: "x"}, `read_ok "b"`},
		{0, 1, 1, "read", ReadBody{Key: "x"}, `read_ok "b"`},
	})
}

// Once writes stop, the merges that ride on every request bring the
// replicas to one state: eventual consistency.
func TestLWWKVConverges(t *testing.T) {
	for seed := range uint64(20) {
		env := newFakeEnv(t, "lww-kv", rand.New(rand.NewPCG(seed, seed)))
		s := newLWWKV(lwwReplicas)
		s.Init(env)
		written := map[string]bool{}
		for i := range 30 {
			v := fmt.Sprintf("v%d", i)
			written[`"`+v+`"`] = true
			env.handle(s, maelstrom.Msg{Src: fmt.Sprintf("n%d", i%3), Type: "write", MsgID: i + 1, Body: WriteBody{Key: "x", Value: v}})
		}
		var reads []string
		for i := range 60 {
			reply := env.handle(s, maelstrom.Msg{Src: "n9", Type: "read", MsgID: i + 1, Body: ReadBody{Key: "x"}})
			reads = append(reads, summary(t, reply, nil))
		}
		last := reads[len(reads)-1]
		if !written[last[len("read_ok "):]] {
			t.Fatalf("seed %d: read %s, which nobody wrote", seed, last)
		}
		for _, r := range reads[40:] {
			if r != last {
				t.Fatalf("seed %d: still diverging after 40 reads: %v", seed, reads)
			}
		}
		if !maps.Equal(s.replicas[0].data, s.replicas[1].data) {
			t.Fatalf("seed %d: replicas differ after 60 merging reads", seed)
		}
	}
}
