// Package atmostonce is the duplicate filter of an at-most-once RPC server
// (Birrell and Nelson, "Implementing Remote Procedure Calls", 1984): a
// server remembers the (sender, msg_id) of the requests it has executed and
// drops a request it has seen, so that a network that duplicates messages
// cannot make it execute one twice.
//
// The memory is volatile and bounded: a duplicate that outlives a restart,
// or arrives after Limit newer requests, is executed again.
package atmostonce

import (
	"slices"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// Limit is how many requests a Filter remembers: far more than can be in
// flight at once.
const Limit = 1 << 16

// Filter remembers the requests from other servers that it has let through.
type Filter struct {
	servers []string
	seen    map[requestID]struct{}
	order   []requestID // oldest first, for forgetting
}

type requestID struct {
	src   string
	msgID int
}

// New returns a filter for requests from the given servers. Client
// requests arrive over links that do not duplicate, so only requests from
// servers are tracked.
func New(servers []string) *Filter {
	return &Filter{servers: servers, seen: map[requestID]struct{}{}}
}

// Duplicate reports whether msg is a server's request already let
// through, and otherwise remembers it.
func (f *Filter) Duplicate(msg maelstrom.Msg) bool {
	if !slices.Contains(f.servers, msg.Src) {
		return false
	}
	id := requestID{msg.Src, msg.MsgID}
	if _, ok := f.seen[id]; ok {
		return true
	}
	f.seen[id] = struct{}{}
	f.order = append(f.order, id)
	if len(f.order) > Limit {
		delete(f.seen, f.order[0])
		f.order = f.order[1:]
	}
	return false
}
