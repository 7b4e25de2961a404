package raft

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// ForwardBody carries a client request from a follower to the leader, with
// the client's identity so that the leader's entry names the request (§8).
type ForwardBody struct {
	Op     kvstate.Op `json:"op"`
	Client string     `json:"client"`
	ReqID  int        `json:"req_id"`
}

// handleClient serves read, write and cas from a client.
func (n *Node) handleClient(msg maelstrom.Msg) {
	op, _, err := kvstate.Decode(msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	n.handleRequest(msg, op, requestID{client: msg.Src, msgID: msg.MsgID})
}

// handleRequest submits a request as leader, forwards it to a known leader,
// or holds it until one is known.
func (n *Node) handleRequest(msg maelstrom.Msg, op kvstate.Op, id requestID) {
	switch {
	case n.state == leader:
		n.submit(msg, op, id)
	case n.leaderID != "":
		n.forward(msg, op, id)
	default:
		n.hold(msg, op, id)
	}
}

// heldRequest is a client request that arrived while no leader was known.
type heldRequest struct {
	msg  maelstrom.Msg
	op   kvstate.Op
	id   requestID
	done bool
}

// hold keeps a request until a leader is known (an election usually takes
// a few hundred ms) or holdTimeout passes, when it fails definitely: it was
// not appended anywhere.
func (n *Node) hold(msg maelstrom.Msg, op kvstate.Op, id requestID) {
	h := &heldRequest{msg: msg, op: op, id: id}
	n.held = append(n.held, h)
	n.env.SetTimer(holdTimeout, func() {
		if !h.done {
			h.done = true
			n.env.ReplyError(msg, maelstrom.TemporarilyUnavailable, "no leader known")
		}
	})
}

// releaseHeld submits or forwards the held requests, in arrival order, once
// a leader is known.
func (n *Node) releaseHeld() {
	held := n.held
	n.held = nil
	for _, h := range held {
		if h.done {
			continue
		}
		h.done = true
		n.handleRequest(h.msg, h.op, h.id)
	}
}

// forward relays a client request to the leader and its answer back. A
// forward that times out is answered with code 0 (indefinite): the leader
// may have appended the command, and it may still commit.
func (n *Node) forward(msg maelstrom.Msg, op kvstate.Op, id requestID) {
	body := ForwardBody{Op: op, Client: id.client, ReqID: id.msgID}
	n.env.RPC(n.leaderID, "raft_forward", body, forwardTimeout, func(resp maelstrom.Msg, err error) {
		kvstate.ReplyWith(n.env, msg, resp, err)
	})
}

// handleForward serves a request a follower forwarded. It is not forwarded
// again: a node that is not leader any more refuses it, definitely, since it
// appends nothing.
func (n *Node) handleForward(msg maelstrom.Msg) {
	body, err := maelstrom.Decode[ForwardBody](msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	if n.state != leader {
		n.env.ReplyError(msg, maelstrom.TemporarilyUnavailable, "not the leader")
		return
	}
	n.submit(msg, body.Op, requestID{client: body.Client, msgID: body.ReqID})
}

// submit is the leader's part: reads go through ReadIndex, commands into
// the log.
func (n *Node) submit(req maelstrom.Msg, op kvstate.Op, id requestID) {
	if !op.Mutates() {
		n.read(req, op)
		return
	}
	if res, done := n.sessions[id]; done {
		res.Reply(n.env, req, op) // §8: already executed; answer without re-executing
		return
	}
	idx := n.appendLocal(Entry{Term: n.currentTerm, Op: &op, Client: id.client, ReqID: id.msgID})
	n.pending[idx] = append(n.pending[idx], pendingWrite{term: n.currentTerm, req: req, op: op})
	n.broadcastAppend()
	n.advanceCommitIndex() // a cluster of one commits alone
}

// read is ReadIndex (thesis §6.4): note readIndex, confirm leadership with a
// round of heartbeats acknowledged by a majority, then answer once the
// state machine has applied readIndex. No lease: the clock is never trusted.
func (n *Node) read(req maelstrom.Msg, op kvstate.Op) {
	if n.localReads {
		kvstate.Apply(n.kv, op).Reply(n.env, req, op) // test-only: unsafe
		return
	}
	// The leader must have committed an entry of its own term before it
	// knows the commit index (thesis §6.4, step 1): read no earlier than its
	// no-op.
	r := pendingRead{req: req, op: op, index: max(n.commitIndex, n.termStart), round: n.round + 1}
	n.reads = append(n.reads, r)
	n.broadcastAppend() // round r.round, sent after the read arrived
	n.serveReads()      // a cluster of one needs no round
}

// serveReads answers the reads whose round a majority acknowledged and
// whose readIndex is applied.
func (n *Node) serveReads() {
	if n.state != leader {
		return
	}
	if len(n.reads) == 0 {
		return
	}
	confirmed := n.confirmedRound()
	kept := n.reads[:0]
	for _, r := range n.reads {
		if n.lastApplied >= r.index && r.round <= confirmed {
			kvstate.Apply(n.kv, r.op).Reply(n.env, r.req, r.op)
		} else {
			kept = append(kept, r)
		}
	}
	clear(n.reads[len(kept):])
	n.reads = kept
}

// confirmedRound is the latest round a majority of the servers, this leader
// included, acknowledged in this term: reads of that round or earlier are
// confirmed.
func (n *Node) confirmedRound() int {
	return n.ackedRounds.value(n.round)
}

// failReads answers the reads a deposed leader holds. A definite error is
// safe: a read that was never answered changed nothing.
func (n *Node) failReads() {
	for _, r := range n.reads {
		n.env.ReplyError(r.req, maelstrom.TemporarilyUnavailable, "leadership lost before the read was confirmed")
	}
	n.reads = nil
}

// applyCommitted applies entries up to commitIndex in log order (Figure 2:
// if commitIndex > lastApplied, increment lastApplied and apply
// log[lastApplied]), answering the requests this node appended.
func (n *Node) applyCommitted() {
	for n.lastApplied < n.commitIndex {
		n.lastApplied++
		idx := n.lastApplied
		e := n.log[idx]
		var res kvstate.Result
		if e.Op != nil {
			res = n.execute(e)
		}
		for _, p := range n.pending[idx] {
			if p.term == e.Term {
				res.Reply(n.env, p.req, p.op)
			} else {
				// Another leader's entry is committed at this index, so ours
				// (same index, other term) can never be: a definite failure.
				n.env.ReplyError(p.req, maelstrom.TemporarilyUnavailable, "leadership lost; the command was not committed")
			}
		}
		delete(n.pending, idx)
	}
	n.serveReads()
}

// execute runs a committed command on the state machine once per request
// id (§8): a command appended twice takes effect once and answers the same.
func (n *Node) execute(e Entry) kvstate.Result {
	id := requestID{client: e.Client, msgID: e.ReqID}
	if res, done := n.sessions[id]; done {
		return res
	}
	res := kvstate.Apply(n.kv, *e.Op)
	n.sessions[id] = res
	return res
}
