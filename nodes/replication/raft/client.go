package raft

import (
	"github.com/ddbbench/ddbbench/maelstrom"
)

// ForwardBody carries a client request from a follower to the leader, with
// the client's identity so that the leader's entry names the request (§8).
type ForwardBody[C any] struct {
	Op     C      `json:"op"`
	Client string `json:"client"`
	ReqID  int    `json:"req_id"`
}

// handleClient serves a client's request (read, write and cas for the
// register).
func (n *Server[C]) handleClient(msg maelstrom.Msg) {
	op, err := n.sm.Decode(msg)
	if err != nil {
		n.env.ReplyError(msg, maelstrom.MalformedRequest, err.Error())
		return
	}
	n.handleRequest(msg, op, requestID{client: msg.Src, msgID: msg.MsgID})
}

// handleRequest submits a request as leader, forwards it to a known leader,
// or holds it until one is known.
func (n *Server[C]) handleRequest(msg maelstrom.Msg, op C, id requestID) {
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
type heldRequest[C any] struct {
	msg  maelstrom.Msg
	op   C
	id   requestID
	done bool
}

// hold keeps a request until a leader is known (an election usually takes
// a few hundred ms) or holdTimeout passes, when it fails definitely: it was
// not appended anywhere.
func (n *Server[C]) hold(msg maelstrom.Msg, op C, id requestID) {
	h := &heldRequest[C]{msg: msg, op: op, id: id}
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
func (n *Server[C]) releaseHeld() {
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
func (n *Server[C]) forward(msg maelstrom.Msg, op C, id requestID) {
	body := ForwardBody[C]{Op: op, Client: id.client, ReqID: id.msgID}
	n.env.RPC(n.leaderID, "raft_forward", body, forwardTimeout, func(resp maelstrom.Msg, err error) {
		n.sm.Relay(n.env, msg, resp, err)
	})
}

// handleForward serves a request a follower forwarded. It is not forwarded
// again: a node that is not leader any more refuses it, definitely, since it
// appends nothing.
func (n *Server[C]) handleForward(msg maelstrom.Msg) {
	body, err := maelstrom.Decode[ForwardBody[C]](msg)
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
func (n *Server[C]) submit(req maelstrom.Msg, op C, id requestID) {
	if n.sm.ReadOnly(op) {
		n.read(req, op)
		return
	}
	if ans, done := n.sessions[id]; done {
		ans.Reply(n.env, req) // §8: already executed; answer without re-executing
		return
	}
	idx := n.appendLocal(Entry[C]{Term: n.currentTerm, Op: &op, Client: id.client, ReqID: id.msgID})
	n.pending[idx] = append(n.pending[idx], pendingWrite{term: n.currentTerm, req: req})
	n.broadcastAppend()
	n.advanceCommitIndex() // a cluster of one commits alone
}

// read is ReadIndex (thesis §6.4): note readIndex, confirm leadership with a
// round of heartbeats acknowledged by a majority, then answer once the
// state machine has applied readIndex. No lease: the clock is never trusted.
func (n *Server[C]) read(req maelstrom.Msg, op C) {
	if n.localReads {
		n.sm.Read(op).Reply(n.env, req) // test-only: unsafe
		return
	}
	// The leader must have committed an entry of its own term before it
	// knows the commit index (thesis §6.4, step 1): read no earlier than its
	// no-op.
	r := pendingRead[C]{req: req, op: op, index: max(n.commitIndex, n.termStart), round: n.round + 1}
	n.reads = append(n.reads, r)
	n.broadcastAppend() // round r.round, sent after the read arrived
	n.serveReads()      // a cluster of one needs no round
}

// serveReads answers the reads whose round a majority acknowledged and
// whose readIndex is applied.
func (n *Server[C]) serveReads() {
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
			n.sm.Read(r.op).Reply(n.env, r.req)
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
func (n *Server[C]) confirmedRound() int {
	return n.ackedRounds.value(n.round)
}

// failReads answers the reads a deposed leader holds. A definite error is
// safe: a read that was never answered changed nothing.
func (n *Server[C]) failReads() {
	for _, r := range n.reads {
		n.env.ReplyError(r.req, maelstrom.TemporarilyUnavailable, "leadership lost before the read was confirmed")
	}
	n.reads = nil
}

// applyCommitted applies entries up to commitIndex in log order (Figure 2:
// if commitIndex > lastApplied, increment lastApplied and apply
// log[lastApplied]), answering the requests this node appended.
func (n *Server[C]) applyCommitted() {
	for n.lastApplied < n.commitIndex {
		n.lastApplied++
		idx := n.lastApplied
		e := n.log[idx]
		var ans Answer
		if e.Op != nil {
			ans = n.execute(e, idx)
		}
		for _, p := range n.pending[idx] {
			if p.term == e.Term && ans != nil {
				ans.Reply(n.env, p.req)
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

// execute runs a committed command, the entry at index, on the state
// machine once per request id (§8): a command appended twice takes effect
// once and answers the same.
func (n *Server[C]) execute(e Entry[C], index int) Answer {
	id := requestID{client: e.Client, msgID: e.ReqID}
	if ans, done := n.sessions[id]; done {
		return ans
	}
	ans := n.sm.Apply(*e.Op, index)
	n.sessions[id] = ans
	return ans
}
