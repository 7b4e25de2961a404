package pbasync

import (
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/pb"
)

// New returns a pb-async node.
func New() nodes.Node { return pb.New(pb.Async) }

// Strategy describes pb-async for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{Name: "pb-async", Group: "replication", New: New}
}
