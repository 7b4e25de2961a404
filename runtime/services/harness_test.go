package services

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/network"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

// Two ways to reach a service in tests: through the simulator, with test
// clients making RPCs (simHarness), and by calling Handle directly with a
// fake Env (fakeEnv), for messages the simulator's clients cannot make, such
// as raw JSON from a process, and for scripting the service's random draws.

// testClient is a client node the test drives through its env.
type testClient struct{ env nodes.Env }

func (c *testClient) Init(env nodes.Env)     { c.env = env }
func (c *testClient) Handle(_ maelstrom.Msg) {}

// simHarness hosts one service and some test callers in a simulation.
// Callers named c<i> are clients, whose links have no latency; callers named
// n<i> are server nodes, which reach services with latency, as nodes that
// use a service do.
type simHarness struct {
	t       testing.TB
	sim     *sim.Sim
	service string
	clients map[string]*testClient
}

const rpcTimeout = time.Second

func newSimHarness(t testing.TB, seed int64, service string, factory func() nodes.Node, clients ...string) *simHarness {
	t.Helper()
	h := &simHarness{
		t:       t,
		sim:     sim.New(sim.Config{Seed: seed, Network: network.Config{Latency: time.Millisecond, Dist: network.Uniform}}),
		service: service,
		clients: map[string]*testClient{},
	}
	h.sim.AddService(service, factory)
	for _, id := range clients {
		c := &testClient{}
		h.clients[id] = c
		if strings.HasPrefix(id, "n") {
			h.sim.AddServer(id, func() nodes.Node { return c })
		} else {
			h.sim.AddClient(id, func() nodes.Node { return c })
		}
	}
	h.sim.Start()
	return h
}

// send makes an RPC from client at the current virtual time; cb gets the
// reply when the simulation runs.
func (h *simHarness) send(client, typ string, body any, cb func(maelstrom.Msg, error)) {
	h.sim.After(0, func() { h.clients[client].env.RPC(h.service, typ, body, rpcTimeout, cb) })
}

// run advances the simulation by d.
func (h *simHarness) run(d time.Duration) {
	h.t.Helper()
	if err := h.sim.RunUntil(h.sim.Now() + d); err != nil {
		h.t.Fatal(err)
	}
}

// call makes one RPC and runs the simulation until it is answered.
func (h *simHarness) call(client, typ string, body any) (maelstrom.Msg, error) {
	h.t.Helper()
	var (
		reply maelstrom.Msg
		err   error
		done  bool
	)
	h.send(client, typ, body, func(m maelstrom.Msg, e error) { reply, err, done = m, e, true })
	h.run(rpcTimeout)
	if !done {
		h.t.Fatalf("%s from %s: callback never called", typ, client)
	}
	return reply, err
}

// summary renders a reply as tests spell expectations: "write_ok",
// "read_ok <value as JSON>", "ts_ok <ts>" or "error <code>".
func summary(t testing.TB, reply maelstrom.Msg, err error) string {
	t.Helper()
	if err != nil {
		return fmt.Sprintf("error %d", maelstrom.ErrorCode(err))
	}
	switch reply.Type {
	case "error":
		return fmt.Sprintf("error %d", reply.Err().Code)
	case "read_ok":
		body, err := maelstrom.Decode[ReadOKBody](reply)
		if err != nil {
			t.Fatalf("read_ok body: %v", err)
		}
		return "read_ok " + string(body.Value)
	case "ts_ok":
		body, err := maelstrom.Decode[TSOKBody](reply)
		if err != nil {
			t.Fatalf("ts_ok body: %v", err)
		}
		return fmt.Sprintf("ts_ok %d", body.TS)
	}
	return reply.Type
}

// fakeEnv is a nodes.Env that records what a service sends.
type fakeEnv struct {
	t    testing.TB
	id   string
	rand nodes.Rand
	sent []maelstrom.Msg
}

func newFakeEnv(t testing.TB, id string, r nodes.Rand) *fakeEnv {
	if r == nil {
		r = rand.New(rand.NewPCG(1, 2))
	}
	return &fakeEnv{t: t, id: id, rand: r}
}

func (e *fakeEnv) ID() string                         { return e.id }
func (e *fakeEnv) NodeIDs() []string                  { return nil }
func (e *fakeEnv) Now() time.Duration                 { return 0 }
func (e *fakeEnv) Rand() nodes.Rand                   { return e.rand }
func (e *fakeEnv) Store() nodes.Store                 { return nil }
func (e *fakeEnv) Logf(string, ...any)                {}
func (e *fakeEnv) SetRole(string)                     {}
func (e *fakeEnv) WaitsFor(string, []string)          {}
func (e *fakeEnv) SetPhase(string)                    {}
func (e *fakeEnv) CommitState(string, string, string) {}

func (e *fakeEnv) Send(dest, typ string, body any) {
	e.sent = append(e.sent, maelstrom.Msg{Src: e.id, Dest: dest, Type: typ, Body: body})
}

func (e *fakeEnv) Reply(req maelstrom.Msg, typ string, body any) {
	e.sent = append(e.sent, maelstrom.Msg{Src: e.id, Dest: req.Src, Type: typ, InReplyTo: req.MsgID, Body: body})
}

func (e *fakeEnv) ReplyError(req maelstrom.Msg, code int, text string) {
	e.Reply(req, "error", maelstrom.ErrorBody{Code: code, Text: text})
}

func (e *fakeEnv) RPC(string, string, any, time.Duration, func(maelstrom.Msg, error)) {
	e.t.Error("a service made an RPC")
}

func (e *fakeEnv) SetTimer(time.Duration, func()) nodes.TimerID {
	e.t.Error("a service set a timer")
	return 0
}

func (e *fakeEnv) CancelTimer(nodes.TimerID) {}

// handle delivers req to node and returns the one reply it sent.
func (e *fakeEnv) handle(node nodes.Node, req maelstrom.Msg) maelstrom.Msg {
	e.t.Helper()
	before := len(e.sent)
	node.Handle(req)
	if got := len(e.sent) - before; got != 1 {
		e.t.Fatalf("%s request %s: service sent %d messages, want 1 reply", req.Type, req.Raw, got)
	}
	reply := e.sent[before]
	if reply.Dest != req.Src || reply.InReplyTo != req.MsgID {
		e.t.Fatalf("reply to %s goes to %s in reply to %d, want %s in reply to %d", req.Type, reply.Dest, reply.InReplyTo, req.Src, req.MsgID)
	}
	return reply
}

// handleLine delivers a message given as a line of a process's stdout.
func (e *fakeEnv) handleLine(node nodes.Node, line string) maelstrom.Msg {
	e.t.Helper()
	req, err := maelstrom.ParseLine([]byte(line))
	if err != nil {
		e.t.Fatal(err)
	}
	return e.handle(node, req)
}

// scriptedRand returns the given draws from IntN, in order, so a test can
// choose what a service picks at random.
type scriptedRand struct {
	t     testing.TB
	draws []int
}

func (r *scriptedRand) IntN(n int) int {
	r.t.Helper()
	if len(r.draws) == 0 {
		r.t.Fatal("service drew more random numbers than scripted")
	}
	d := r.draws[0]
	r.draws = r.draws[1:]
	if d >= n {
		r.t.Fatalf("scripted draw %d out of range [0,%d)", d, n)
	}
	return d
}
func (r *scriptedRand) Int64() int64     { r.t.Fatal("unexpected Int64"); return 0 }
func (r *scriptedRand) Float64() float64 { r.t.Fatal("unexpected Float64"); return 0 }
func (r *scriptedRand) Perm(int) []int   { r.t.Fatal("unexpected Perm"); return nil }

// mustJSON is v's JSON encoding.
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ask is call, summarized.
func (h *simHarness) ask(client, typ string, body any) string {
	h.t.Helper()
	reply, err := h.call(client, typ, body)
	return summary(h.t, reply, err)
}
