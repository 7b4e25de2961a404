package services

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
)

func TestNames(t *testing.T) {
	want := []string{"lin-kv", "lin-tso", "lww-kv", "seq-kv"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		factory, err := New(name)
		if err != nil || factory == nil || factory() == nil {
			t.Errorf("New(%q): %v; want a factory", name, err)
		}
	}
}

func TestNewUnknownNamesTheValidOnes(t *testing.T) {
	_, err := New("lin-kvv")
	if err == nil {
		t.Fatal("New(lin-kvv) succeeded")
	}
	for _, name := range append(Names(), "lin-kvv") {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not mention %q", err, name)
		}
	}
}

// Every service answers a type it does not know with not-supported, and
// never answers a message that has no msg_id to answer.
func TestUnknownTypeIsNotSupported(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			factory, _ := New(name)
			h := newSimHarness(t, 1, name, factory, "c0")
			for _, typ := range []string{"init", "echo", "txn"} {
				if got := h.ask("c0", typ, nil); got != "error 10" {
					t.Errorf("%s: got %s, want error 10", typ, got)
				}
			}
			env := newFakeEnv(t, name, nil)
			node := factory()
			node.Init(env)
			node.Handle(mustParse(t, `{"src":"n0","dest":"x","body":{"type":"gossip"}}`))
			if len(env.sent) != 0 {
				t.Errorf("answered a message without msg_id: %+v", env.sent)
			}
		})
	}
}

// transcript runs a mixed workload against a service from three nodes and
// returns every reply in the order they arrived.
func transcript(t *testing.T, service string, seed int64) []string {
	factory, _ := New(service)
	callers := []string{"n0", "n1", "n2"}
	h := newSimHarness(t, seed, service, factory, callers...)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	var out []string
	var loop func(caller string, left int)
	loop = func(caller string, left int) {
		if left == 0 {
			return
		}
		var key any = rng.IntN(3)
		if rng.IntN(2) == 0 {
			key = fmt.Sprint("k", key)
		}
		typ, body := "read", any(ReadBody{Key: key})
		switch rng.IntN(4) {
		case 0:
			typ, body = "write", WriteBody{Key: key, Value: rng.IntN(5)}
		case 1:
			typ, body = "cas", CASBody{Key: key, From: rng.IntN(5), To: rng.IntN(5), CreateIfNotExists: rng.IntN(2) == 0}
		}
		if service == "lin-tso" {
			typ, body = "ts", nil
		}
		h.clients[caller].env.RPC(service, typ, body, rpcTimeout, func(m maelstrom.Msg, err error) {
			out = append(out, fmt.Sprintf("%v %s %s %s", h.sim.Now(), caller, typ, summary(t, m, err)))
			loop(caller, left-1)
		})
	}
	for _, c := range callers {
		h.sim.After(0, func() { loop(c, 200) })
	}
	h.run(time.Minute)
	return out
}

// The same seed gives the same replies at the same times: nothing in a
// service depends on map order, the wall clock or a global random source.
func TestDeterministic(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			a, b := transcript(t, name, 42), transcript(t, name, 42)
			if len(a) != 600 {
				t.Fatalf("%d replies, want 600", len(a))
			}
			if !slices.Equal(a, b) {
				for i := range a {
					if a[i] != b[i] {
						t.Fatalf("runs with one seed differ at reply %d: %q vs %q", i, a[i], b[i])
					}
				}
			}
		})
	}
}
