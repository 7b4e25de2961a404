// Package gossip serves Maelstrom's broadcast workload with eager reliable
// broadcast over the given topology: Cachin, Guerraoui & Rodrigues,
// "Introduction to Reliable and Secure Distributed Programming" (2nd ed.,
// 2011), §3.3 (eager reliable broadcast: relay every message the first time
// it is delivered) over §2.4's stubborn links (retransmit until
// acknowledged), with the relaying restricted to the topology's neighbours,
// as Maelstrom's broadcast challenge asks.
//
// What a node does:
//   - broadcast m from a client: deliver m (add it to the set), store it,
//     acknowledge, and relay it to every neighbour;
//   - gossip [m...] from a neighbour: deliver the new ones, relay them to
//     every other neighbour, and acknowledge the whole batch;
//   - every relay is an RPC; what a neighbour has not acknowledged stays
//     pending for it and goes again, batched, every retryInterval;
//   - read: the set of delivered messages.
//
// Durability: a message is synced to the store before it is acknowledged or
// relayed, and a restarted node reloads its set and relays all of it to
// every neighbour again, so a crash loses nothing acknowledged.
//
// Expected behaviour: every acknowledged message reaches every node once
// the network heals, under partitions (the pending relays go through after
// the heal), crashes (synced before acknowledged, resent on restart), pauses
// and lossy links (retransmission); the topology must be connected.
package gossip

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

const (
	// retryInterval is how often pending relays are resent.
	retryInterval = 500 * time.Millisecond
	// relayTimeout bounds one relay's wait for its acknowledgement.
	relayTimeout = time.Second
	storeKey     = "gossip/message/"
)

const reference = "Cachin, Guerraoui & Rodrigues, Introduction to Reliable and Secure Distributed Programming (2011), §3.3 eager reliable broadcast over §2.4 stubborn links"

// Expect is what the literature says about eager reliable broadcast with
// retransmission: every delivered message reaches every correct process.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: true, Reason: "every node relays each new message to its neighbours, and the topology is connected", Reference: reference},
	{Nemesis: "partition", Safe: true, Reason: "relays are retransmitted until acknowledged, so they cross once the partition heals", Reference: reference},
	{Nemesis: "kill", Safe: true, Reason: "a message is synced before it is acknowledged, and a restarted node relays all it has again", Reference: reference},
	{Nemesis: "pause", Safe: true, Reason: "a paused node is a slow one; its neighbours keep retransmitting", Reference: reference},
	{Nemesis: "packet", Safe: true, Reason: "stubborn links turn fair-loss links into reliable ones; duplicates are delivered once", Reference: reference},
}

// Strategy describes the node for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{
		Name: "gossip", Group: "broadcast", Workload: "broadcast", New: New, Expect: Expect,
		Summary: "eager reliable broadcast over the topology: relay each new message to the neighbours, retransmit until acknowledged",
	}
}

// Node is one broadcast node.
type Node struct {
	env       nodes.Env
	mux       *nodes.Mux
	seen      map[int]bool
	messages  []int            // delivered, in delivery order
	neighbors []string         // from the topology
	pending   map[string][]int // per neighbour: relayed, not yet acknowledged
	// noRetry drops relays that go unacknowledged: tests only, a broken
	// variant whose losses under a partition the harness must catch.
	noRetry bool
}

// New returns a node.
func New() nodes.Node { return &Node{} }

type broadcastBody struct {
	Message int `json:"message"`
}

type gossipBody struct {
	Messages []int `json:"messages"`
}

type topologyBody struct {
	Topology map[string][]string `json:"topology"`
}

type readOK struct {
	Messages []int `json:"messages"`
}

func (n *Node) Init(env nodes.Env) {
	n.env, n.seen, n.pending = env, map[int]bool{}, map[string][]int{}
	n.mux = nodes.NewMux(env)
	n.mux.Handle("topology", n.handleTopology)
	n.mux.Handle("broadcast", n.handleBroadcast)
	n.mux.Handle("gossip", n.handleGossip)
	n.mux.Handle("read", func(msg maelstrom.Msg) {
		env.Reply(msg, "read_ok", readOK{Messages: slices.Clone(n.messages)})
	})
	// A restart reloads what was delivered; the topology comes again only
	// at the start of a run, so the neighbours are kept too.
	if b, ok := env.Store().Get("gossip/neighbors"); ok && len(b) > 0 {
		n.neighbors = strings.Fields(string(b))
	}
	for i := 0; ; i++ {
		b, ok := env.Store().Get(storeKey + strconv.Itoa(i))
		if !ok {
			break
		}
		m, _ := strconv.Atoi(string(b))
		n.seen[m] = true
		n.messages = append(n.messages, m)
	}
	for _, nb := range n.neighbors {
		n.pending[nb] = slices.Clone(n.messages)
	}
	n.retry()
}

func (n *Node) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

func (n *Node) handleTopology(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[topologyBody](msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	n.neighbors = slices.Clone(b.Topology[n.env.ID()])
	n.env.Store().Put("gossip/neighbors", []byte(strings.Join(n.neighbors, " ")))
	n.env.Store().Sync()
	n.env.Reply(msg, "topology_ok", nil)
}

func (n *Node) handleBroadcast(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[broadcastBody](msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	n.deliver([]int{b.Message}, "")
	n.env.Reply(msg, "broadcast_ok", nil)
}

func (n *Node) handleGossip(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[gossipBody](msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	n.deliver(b.Messages, msg.Src)
	n.env.Reply(msg, "gossip_ok", nil)
}

// deliver adds the new messages, syncs them, and relays them to every
// neighbour but the one they came from.
func (n *Node) deliver(msgs []int, from string) {
	var fresh []int
	for _, m := range msgs {
		if !n.seen[m] {
			n.seen[m] = true
			n.env.Store().Put(storeKey+strconv.Itoa(len(n.messages)), strconv.AppendInt(nil, int64(m), 10))
			n.messages = append(n.messages, m)
			fresh = append(fresh, m)
		}
	}
	if len(fresh) == 0 {
		return
	}
	n.env.Store().Sync()
	for _, nb := range n.neighbors {
		if nb != from {
			n.relay(nb, fresh)
		}
	}
}

// relay sends msgs to a neighbour and keeps them pending until it
// acknowledges them.
func (n *Node) relay(nb string, msgs []int) {
	n.pending[nb] = append(n.pending[nb], msgs...)
	n.env.RPC(nb, "gossip", gossipBody{Messages: msgs}, relayTimeout, func(_ maelstrom.Msg, err error) {
		if err == nil || n.noRetry {
			done := make(map[int]bool, len(msgs))
			for _, m := range msgs {
				done[m] = true
			}
			n.pending[nb] = slices.DeleteFunc(n.pending[nb], func(m int) bool { return done[m] })
		}
	})
}

// retry resends, to each neighbour, what it has not acknowledged.
func (n *Node) retry() {
	n.env.SetTimer(retryInterval, func() {
		for _, nb := range n.neighbors {
			if p := n.pending[nb]; len(p) > 0 {
				n.pending[nb] = nil
				n.relay(nb, slices.Clone(p))
			}
		}
		n.retry()
	})
}
