package pb

import (
	"slices"

	"github.com/ddbbench/ddbbench/maelstrom"
)

// acceptStream decides whether a stream message (update or snapshot) from
// msg.Src at epoch e is for this node. It refuses one from a primary that
// does not outrank the one this node follows (the refusal tells the sender
// whom it follows, so that a deposed primary steps down), and switches to
// one that does. After true, the node is a synced backup of the sender or
// recovering with the sender as target.
func (n *Node) acceptStream(msg maelstrom.Msg, e int) bool {
	src := msg.Src
	switch n.role {
	case rolePrimary:
		if !n.outranks(src, e, n.id, n.epoch) {
			n.nack(msg)
			return false
		}
		n.stepDown(src, e)
		return true
	case roleBackup, roleWaiting:
		if src == n.primary && e == n.epoch {
			if n.role == roleWaiting {
				n.role, n.candidates, n.waitFor = roleBackup, nil, ""
				n.flushHeld()
			}
			return true
		}
		if !n.outranks(src, e, n.primary, n.epoch) {
			n.nack(msg)
			return false
		}
		n.becomeRecovering(src, e)
		return true
	default:
		if src == n.target && e == n.targetEpoch {
			return true
		}
		if e < n.epoch || n.target != "" && !n.outranks(src, e, n.target, n.targetEpoch) {
			n.nack(msg)
			return false
		}
		n.setTarget(src, e)
		return true
	}
}

func (n *Node) nack(msg maelstrom.Msg) {
	b := NackBody{Epoch: n.epoch, Primary: n.primary}
	if n.role == roleRecovering {
		b = NackBody{Epoch: n.epoch, Primary: ""}
		if n.target != "" {
			b = NackBody{Epoch: n.targetEpoch, Primary: n.target}
		}
	}
	n.reply(msg, typeNack, b)
}

func (n *Node) ack(msg maelstrom.Msg, seq int) {
	n.reply(msg, typeAck, AckBody{Epoch: n.epoch, Seq: seq})
}

// onUpdate applies stream messages in sequence order, buffering any that
// arrive early; each is acknowledged once applied and synced.
func (n *Node) onUpdate(msg maelstrom.Msg, b UpdateBody) {
	if !n.acceptStream(msg, b.Epoch) {
		return
	}
	if n.role == roleRecovering {
		// From our target, ahead of its snapshot.
		n.buf[b.Seq] = buffered{msg: msg, body: b}
		return
	}
	if b.VV > n.vv {
		n.view, n.vv = b.View, b.VV
		if !slices.Contains(n.view, n.id) {
			n.becomeRecovering(msg.Src, b.Epoch)
			return
		}
	}
	switch {
	case b.Seq <= n.seq:
		n.ack(msg, b.Seq)
	case b.Seq > n.seq+1:
		n.buf[b.Seq] = buffered{msg: msg, body: b}
	default:
		n.apply(b)
		done := n.drain()
		n.persist()
		n.ack(msg, b.Seq)
		n.ackAll(done)
	}
}

func (n *Node) apply(b UpdateBody) {
	if !b.Noop {
		n.setData(b.Key, b.Value)
	}
	n.seq = b.Seq
	if b.VV > n.vv {
		n.view, n.vv = b.View, b.VV
	}
}

// drain applies buffered messages that are now next in sequence and
// returns every buffered message now covered, for acknowledgement after
// the caller syncs.
func (n *Node) drain() []buffered {
	var done []buffered
	for {
		e, ok := n.buf[n.seq+1]
		if !ok {
			break
		}
		delete(n.buf, n.seq+1)
		n.apply(e.body)
		done = append(done, e)
	}
	var stale []int
	for s := range n.buf {
		if s <= n.seq {
			stale = append(stale, s)
		}
	}
	slices.Sort(stale)
	for _, s := range stale {
		done = append(done, n.buf[s])
		delete(n.buf, s)
	}
	return done
}

func (n *Node) ackAll(done []buffered) {
	for _, e := range done {
		n.ack(e.msg, e.body.Seq)
	}
}

// onSnapshot installs a primary's whole copy: on promotion, on joining, and
// after a gap this node cannot otherwise close.
func (n *Node) onSnapshot(msg maelstrom.Msg, b SnapshotBody) {
	if !n.acceptStream(msg, b.Epoch) {
		return
	}
	if n.role != roleRecovering && b.Epoch == n.epoch && b.Seq <= n.seq {
		n.ack(msg, b.Seq) // a late copy of a snapshot already covered
		return
	}
	n.replaceData(b.Data)
	n.epoch, n.seq = b.Epoch, b.Seq
	n.role, n.primary, n.view, n.vv = roleBackup, msg.Src, b.View, b.VV
	n.candidates, n.waitFor, n.target, n.targetEpoch = nil, "", "", 0
	n.env.SetRole("backup")
	n.env.Logf("backup of %s at epoch %d from seq %d", msg.Src, b.Epoch, b.Seq)
	done := n.drain()
	n.persist()
	n.ack(msg, b.Seq)
	n.ackAll(done)
	n.flushHeld()
}
