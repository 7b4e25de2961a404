package pbreadreplica

import (
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/replication/pb"
)

// New returns a pb-read-replica node.
func New() nodes.Node { return pb.New(pb.ReadReplica) }

// Strategy describes pb-read-replica for the catalog.
func Strategy() nodes.Strategy {
	return nodes.Strategy{Name: "pb-read-replica", Group: "replication", New: New}
}
