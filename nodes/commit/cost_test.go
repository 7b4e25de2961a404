package commit_test

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/commit"
	"github.com/ddbbench/ddbbench/runtime/network"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

// cost is what one commit took, counted exactly.
type cost struct {
	decide, learn       int // message delays from the protocol's start
	messages, forced    int // the protocol's messages, forced log writes
	committedAt, writer []string
}

// oneClient sends one transaction to n0 and records the answer.
type oneClient struct {
	t     txn.Txn
	reply *maelstrom.Msg
}

func (c *oneClient) Init(env nodes.Env) {
	env.RPC("n0", "txn", txn.Body{Txn: c.t}, 5*time.Second, func(resp maelstrom.Msg, err error) {
		if err == nil {
			c.reply = &resp
		}
	})
}
func (c *oneClient) Handle(maelstrom.Msg) {}

// keyAt finds a key the store places at node i of n (as deadlock's
// Node.SiteOf does: fnv-32a of the key's decimal form, modulo n).
func keyAt(i, n int) int {
	for k := 0; ; k++ {
		h := fnv.New32a()
		h.Write([]byte(strconv.Itoa(k)))
		if int(h.Sum32()%uint32(n)) == i {
			return k
		}
	}
}

const probeLatency = 10 * time.Millisecond

// probe commits, on five nodes with constant latency, one transaction
// from a client of n0 that appends to one key at each of n1, n2 and n3:
// three participants with writes, the coordinator none.
func probe(t *testing.T, s nodes.Strategy) cost {
	t.Helper()
	sm := sim.New(sim.Config{Seed: 1, Network: network.Config{Latency: probeLatency, Dist: network.Constant}})
	for i := range 5 {
		sm.AddServer(fmt.Sprintf("n%d", i), s.New)
	}
	c := &oneClient{t: txn.Txn{{F: txn.Append, Key: keyAt(1, 5), Value: 1}, {F: txn.Append, Key: keyAt(2, 5), Value: 1}, {F: txn.Append, Key: keyAt(3, 5), Value: 1}}}
	sm.AddClient("c0", func() nodes.Node { return c })
	sm.Start()
	boot := sm.Stats()
	if err := sm.RunUntil(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if c.reply == nil || c.reply.Type != "txn_ok" {
		t.Fatalf("%s: the transaction did not commit: %+v", s.Name, c.reply)
	}
	var out cost
	var start int64
	for _, e := range sm.Commits() {
		switch e.State {
		case history.TxnCommitting:
			start = e.Time
		case history.TxnCommit:
			out.decide = int((e.Time - start) / int64(probeLatency))
		case history.TxnCommitted:
			out.learn = max(out.learn, int((e.Time-start)/int64(probeLatency)))
			out.committedAt = append(out.committedAt, e.Node)
		}
	}
	st := sm.Stats()
	for _, typ := range s.ProtocolMessages {
		out.messages += int(st.ServerByType[typ] + st.ServerByType[typ+"_ok"])
	}
	out.forced = int(st.ForcedWrites - boot.ForcedWrites)
	slices.Sort(out.committedAt)
	return out
}

// The costs of one commit with three participants that write, none at
// the coordinator, against the textbook's counts for each protocol:
//
//	2PC: PREPARE, vote, COMMIT, ack to each (4N messages); the decision
//	after 2 delays, applied after 3; N prepared records, the coordinator's
//	commit record, N commit records (2N+1 forced writes).
//	3PC: two more messages and one more round (6N messages, 4 and 5
//	delays); pre-commit records at the coordinator and each participant
//	(3N+2 forced writes).
//	Paxos Commit over 2F+1 = 5 acceptors (every node): PREPARE (N), each
//	manager's phase 2a to the 2F acceptors it is not, each acceptor's
//	bundled phase 2b to the leader but its own, the decision (N): 2N +
//	2F(N+1) messages; one more delay than 2PC (3 and 4); N prepared
//	records, one bundle per acceptor, N commit records (2N+2F+1).
//	Saga: one step after the other, two messages and two delays each; the
//	plan and each step forced (N+1).
//	No commit: one apply after the other, two messages and two delays
//	each; each apply forced (N).
func TestCostsOfOneCommit(t *testing.T) {
	const n, f = 3, 2
	want := map[string]cost{
		"2pc":          {decide: 2, learn: 3, messages: 4 * n, forced: 2*n + 1},
		"3pc":          {decide: 4, learn: 5, messages: 6 * n, forced: 3*n + 2},
		"paxos-commit": {decide: 3, learn: 4, messages: 2*n + 2*f*(n+1), forced: 2*n + 2*f + 1},
		"saga":         {decide: 2 * n, learn: 2*n - 1, messages: 2 * n, forced: n + 1},
		"no-commit":    {decide: 2 * n, learn: 2*n - 1, messages: 2 * n, forced: n},
	}
	t.Logf("| strategy | decision (delays) | applied everywhere (delays) | protocol messages | forced writes |")
	for _, s := range commit.Strategies() {
		got := probe(t, s)
		w := want[s.Name]
		t.Logf("| %s | %d | %d | %d | %d |", s.Name, got.decide, got.learn, got.messages, got.forced)
		if got.decide != w.decide || got.learn != w.learn || got.messages != w.messages || got.forced != w.forced {
			t.Errorf("%s: decision after %d delays, applied after %d, %d messages, %d forced writes; the textbook says %d, %d, %d, %d",
				s.Name, got.decide, got.learn, got.messages, got.forced, w.decide, w.learn, w.messages, w.forced)
		}
		if !slices.Equal(got.committedAt, []string{"n1", "n2", "n3"}) {
			t.Errorf("%s: applied at %v, want n1, n2 and n3", s.Name, got.committedAt)
		}
	}
}
