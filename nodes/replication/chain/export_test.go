package chain

import "github.com/ddbbench/ddbbench/nodes"

// ReplyAtHead is chain with the head answering updates before they reach
// the tail: asynchronous replication, which tests use to show the harness
// catches reads at the tail that miss acknowledged writes.
func ReplyAtHead() nodes.Strategy {
	s := Strategy()
	s.Name = "chain-reply-at-head"
	s.New = func() nodes.Node { return &Node{replyAtHead: true} }
	return s
}
