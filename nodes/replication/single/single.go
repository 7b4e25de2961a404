// Package single is the baseline: one copy of the data, no replication.
//
// Node n0 holds every register in its durable store and syncs before it
// acknowledges a write, so an acknowledged write survives n0's crash. Every
// other node forwards client requests to n0 and relays the answer.
//
// Expected behaviour: linearizable under every fault, since there is only
// one copy and it applies requests one at a time. Unavailable whenever n0 is
// down, paused or cut off from the node a client talks to: those requests
// time out (indefinite), which the checker must allow for.
package single

import (
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// Owner is the node holding the only copy.
const Owner = "n0"

// forwardTimeout is how long a forwarding node waits for n0 before telling
// the client the outcome is unknown.
const forwardTimeout = time.Second

// Node is one node of the single-copy strategy.
type Node struct {
	env nodes.Env
}

// New returns a node.
func New() nodes.Node { return &Node{} }

func (n *Node) Init(env nodes.Env) {
	n.env = env
	if env.ID() == Owner {
		env.SetRole("primary")
	}
}

func (n *Node) Handle(msg maelstrom.Msg) {
	op, ok, err := kvstate.Decode(msg)
	switch {
	case !ok:
		n.env.ReplyError(msg, maelstrom.NotSupported, "single serves read, write and cas")
	case err != nil:
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
	case n.env.ID() == Owner:
		res := kvstate.Apply(kvstate.Durable{Store: n.env.Store()}, op)
		if op.Mutates() && res.Code == 0 {
			n.env.Store().Sync()
		}
		res.Reply(n.env, msg, op)
	default:
		typ, body := op.Request()
		n.env.RPC(Owner, typ, body, forwardTimeout, func(resp maelstrom.Msg, err error) {
			kvstate.ReplyWith(n.env, msg, resp, err)
		})
	}
}
