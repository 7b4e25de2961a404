package lww

import (
	"errors"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/network"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

// client is a client node the test drives through its env.
type client struct{ env nodes.Env }

func (c *client) Init(env nodes.Env)   { c.env = env }
func (c *client) Handle(maelstrom.Msg) {}

// cluster is five LWW nodes and one client in the simulator, with constant
// 5 ms latency, so that the scenarios below are exact.
type cluster struct {
	t     *testing.T
	sim   *sim.Sim
	nodes map[string]*Node
	c     *client
}

func newCluster(t *testing.T, cfg Config) *cluster {
	cl := &cluster{t: t, nodes: map[string]*Node{}, c: &client{},
		sim: sim.New(sim.Config{Seed: 1, Network: network.Config{Latency: 5 * time.Millisecond}})}
	for _, id := range []string{"n0", "n1", "n2", "n3", "n4"} {
		cl.sim.AddServer(id, func() nodes.Node {
			n := NewWith(cfg).(*Node)
			cl.nodes[id] = n
			return n
		})
	}
	cl.sim.AddClient("c0", func() nodes.Node { return cl.c })
	cl.sim.Start()
	return cl
}

func (cl *cluster) run(d time.Duration) {
	cl.t.Helper()
	if err := cl.sim.RunUntil(cl.sim.Now() + d); err != nil {
		cl.t.Fatal(err)
	}
}

// call sends one request to node and runs until it is answered; it
// returns the reply's type, or the code of an error reply.
func (cl *cluster) call(node, typ string, body any) (string, int) {
	cl.t.Helper()
	var (
		resp maelstrom.Msg
		code = -1
		done bool
	)
	cl.sim.After(0, func() {
		cl.c.env.RPC(node, typ, body, 5*time.Second, func(m maelstrom.Msg, err error) {
			var rpcErr *maelstrom.RPCError
			switch {
			case errors.As(err, &rpcErr):
				code = rpcErr.Code
			case err != nil:
				cl.t.Errorf("%s to %s: %v", typ, node, err)
			}
			resp, done = m, true
		})
	})
	for range 100 {
		if cl.run(100 * time.Millisecond); done {
			return resp.Type, code
		}
	}
	cl.t.Fatalf("%s to %s: no answer", typ, node)
	return "", code
}

// isolate cuts the nodes in a off from the others, both ways.
func (cl *cluster) isolate(a, b []string) {
	g := network.Grudge{}
	for _, x := range a {
		g[x] = b
	}
	for _, y := range b {
		g[y] = a
	}
	if err := cl.sim.Partition(g); err != nil {
		cl.t.Fatal(err)
	}
}

// The key's ring: home replicas ring[:3], stand-ins ring[3:].
func keyRing(key int) []string {
	return PreferenceList([]string{"n0", "n1", "n2", "n3", "n4"}, key, 5)
}

// With two of a key's three home replicas cut off, a sloppy quorum still
// takes a write: the two stand-ins hold it with hints, and once the
// partition heals they hand it to the home replicas and forget it. A strict
// quorum cannot take the write.
func TestSloppyQuorumAndHintedHandoff(t *testing.T) {
	const key = 7
	ring := keyRing(key)
	coord, cut, standIns := ring[0], ring[1:3], ring[3:]

	cl := newCluster(t, DefaultConfig())
	cl.isolate(cut, []string{coord, standIns[0], standIns[1]})
	if typ, code := cl.call(coord, "write", maelstrom.WriteBody{Key: key, Value: 1}); typ != "write_ok" {
		t.Fatalf("sloppy write with two home replicas cut off: %s, error %d", typ, code)
	}
	for i, s := range standIns {
		if got := cl.nodes[s].hints[cut[i]][key].Value; got != 1 {
			t.Fatalf("stand-in %s should hold the write for %s, hints %v", s, cut[i], cl.nodes[s].hints)
		}
	}
	// The cut-off side has two nodes, enough for W=2 of its own: it is
	// "always writeable" too, and its reads miss the other side's write.
	if _, code := cl.call(cut[0], "read", maelstrom.ReadBody{Key: key}); code != maelstrom.KeyDoesNotExist {
		t.Fatalf("the cut-off side has never seen the key: want key-does-not-exist, got error %d", code)
	}

	cl.sim.Heal()
	cl.run(3 * DefaultConfig().HandoffInterval)
	for _, home := range ring[:3] {
		if v, ok := cl.nodes[home].load(key); !ok || v.Value != 1 {
			t.Errorf("home replica %s after handoff: %+v %v", home, v, ok)
		}
	}
	for _, s := range standIns {
		if len(cl.nodes[s].hints) != 0 {
			t.Errorf("stand-in %s still holds hints %v", s, cl.nodes[s].hints)
		}
		if _, ok := cl.nodes[s].load(key); ok {
			t.Errorf("stand-in %s still keeps its copy after handing it off", s)
		}
		if len(cl.nodes[s].down) != 0 {
			t.Errorf("stand-in %s still believes %v down", s, cl.nodes[s].down)
		}
	}

	strict := DefaultConfig()
	strict.Sloppy = false
	cl = newCluster(t, strict)
	cl.isolate(cut, []string{coord, standIns[0], standIns[1]})
	if typ, code := cl.call(coord, "write", maelstrom.WriteBody{Key: key, Value: 1}); code != maelstrom.Timeout {
		t.Fatalf("strict write with two home replicas cut off: want an indefinite error, got %s, error %d", typ, code)
	}
}

// Hints are durable: a stand-in that crashes before handing off still has
// them when it restarts.
func TestHintsSurviveRestart(t *testing.T) {
	const key = 7
	ring := keyRing(key)
	cl := newCluster(t, DefaultConfig())
	cl.isolate(ring[1:3], []string{ring[0], ring[3], ring[4]})
	cl.call(ring[0], "write", maelstrom.WriteBody{Key: key, Value: 5})
	if err := cl.sim.Kill(ring[3]); err != nil {
		t.Fatal(err)
	}
	if err := cl.sim.Restart(ring[3]); err != nil {
		t.Fatal(err)
	}
	cl.run(10 * time.Millisecond)
	if got := cl.nodes[ring[3]].hints[ring[1]][key].Value; got != 5 {
		t.Fatalf("restarted stand-in lost its hint: %v", cl.nodes[ring[3]].hints)
	}
}
