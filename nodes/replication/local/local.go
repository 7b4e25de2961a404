// Package local is a negative control: every node serves its own copy and
// never talks to the others.
//
// Expected behaviour: not linearizable as soon as two clients use different
// nodes, even with no faults: a write through n1 is invisible to a read
// through n2. The harness must catch it; a run that passes says the checker
// is broken, not the node.
package local

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// Expect: caught under every fault, faults or not, because it is wrong
// without them.
var Expect = []nodes.Expectation{
	{Nemesis: "none", Safe: false, Reason: "a write through one node is invisible to reads through another", Reference: "Herlihy & Wing, Linearizability (1990): reads must see every completed write"},
}

// Node is one node with its own unreplicated copy.
type Node struct {
	env   nodes.Env
	state kvstate.Map
}

// New returns a node.
func New() nodes.Node { return &Node{} }

func (n *Node) Init(env nodes.Env) { n.env, n.state = env, kvstate.Map{} }

func (n *Node) Handle(msg maelstrom.Msg) {
	op, ok, err := kvstate.Decode(msg)
	switch {
	case !ok:
		n.env.ReplyError(msg, maelstrom.NotSupported, "local serves read, write and cas")
	case err != nil:
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
	default:
		kvstate.Apply(n.state, op).Reply(n.env, msg, op)
	}
}
