package pbsync

import (
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/pb"
)

// New returns a pb-sync node.
func New() nodes.Node { return pb.New(pb.Sync) }

// Strategy describes pb-sync for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{Name: "pb-sync", Group: "replication", New: New}
}
