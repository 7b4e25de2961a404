// Package raftlock is a lock service on a Raft log: acquires and releases
// are commands, committed by a majority and applied in log order to a lock
// table on every server, and a grant's fencing token is the log index of
// the entry that granted it.
//
// Sources: Ongaro & Ousterhout, "In Search of an Understandable Consensus
// Algorithm" (USENIX ATC 2014), §2 (replicated state machines) and §8
// (client interaction: commands are executed once per request); Burrows,
// "The Chubby lock service for loosely-coupled distributed systems" (OSDI
// 2006), a lock service on a consensus log, whose §2.4 sequencers are
// fencing tokens; Kleppmann, "How to do distributed locking" (2016), which
// names ZooKeeper's zxid, like this log index, as the fencing token to use.
//
// It reuses the Raft of nodes/replication/raft with a different state
// machine (raft.Machine): the lock table of nodes/locking/locktable, kept
// in memory and rebuilt from the log after a restart. Both acquire and
// release change the table, so both go through the log; a follower
// forwards to the leader as the register does. A lock is held until
// released (ttl_ms is ignored): no clock is read, so no lease can run out
// early or late. Tokens are log indices, and so grow with every grant:
// its runs fence the protected resource.
//
// Expected behaviour: safe under every fault, for Raft's reasons (a
// committed command is applied in the same order everywhere; committing
// needs a majority of the current term) and because nothing depends on
// time. A paused holder keeps its lock, which blocks others but lets none
// in.
package raftlock

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/locking/locktable"
	"github.com/ddbbench/ddbbench/nodes/replication/raft"
)

// Command is an acquire or a release, as it lies in the log.
type Command struct {
	F     string `json:"f"` // "acquire" or "release"
	Lock  string `json:"lock"`
	Owner string `json:"owner"`
	Token int64  `json:"token,omitempty"` // release
}

// machine is the lock table as Raft's state machine.
type machine struct{ table *locktable.Table }

// New returns a server.
func New() nodes.Node { return raft.NewWith(newMachine)() }

func newMachine() raft.Machine[Command] { return &machine{table: locktable.New()} }

func (*machine) Types() []string { return []string{"acquire", "release"} }

func (*machine) Decode(req maelstrom.Msg) (Command, error) {
	if req.Type == "acquire" {
		b, err := maelstrom.Decode[maelstrom.AcquireBody](req)
		if err == nil && (b.Lock == "" || b.Client == "") {
			err = errMalformed
		}
		return Command{F: "acquire", Lock: b.Lock, Owner: b.Client}, err
	}
	b, err := maelstrom.Decode[maelstrom.ReleaseBody](req)
	if err == nil && (b.Lock == "" || b.Client == "") {
		err = errMalformed
	}
	return Command{F: "release", Lock: b.Lock, Owner: b.Client, Token: b.Token}, err
}

var errMalformed = maelstrom.NewRPCError(maelstrom.MalformedRequest, "acquire and release need a lock name and a client (the owner)")

// ReadOnly: both commands change the table.
func (*machine) ReadOnly(Command) bool { return false }

// Apply grants under the entry's index, the fencing token, or releases.
// The table's time is always zero: no lease, no clock.
func (m *machine) Apply(c Command, index int) raft.Answer {
	if c.F == "acquire" {
		g, err := m.table.Grant(c.Lock, c.Owner, 0, 0, int64(index))
		return answer{acquire: true, grant: g, err: err}
	}
	return answer{err: m.table.Release(c.Lock, c.Owner, c.Token, 0)}
}

func (*machine) Read(Command) raft.Answer { return answer{err: errMalformed} } // never: nothing is read-only

func (*machine) Relay(env nodes.Env, req, resp maelstrom.Msg, err error) {
	locktable.Relay(env, req, resp, err)
}

type answer struct {
	acquire bool
	grant   locktable.Grant
	err     *maelstrom.RPCError
}

func (a answer) Reply(env nodes.Env, req maelstrom.Msg) {
	if a.acquire {
		locktable.ReplyAcquire(env, req, a.grant, a.err, "")
		return
	}
	locktable.ReplyRelease(env, req, a.err)
}
