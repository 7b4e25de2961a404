package pb

import (
	"slices"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// primaryState is what only the primary keeps.
type primaryState struct {
	members      []string         // backups receiving the stream, rank order
	joining      []string         // announced to the members, snapshot not yet sent
	tokens       map[string]int64 // join attempt each member or joiner came with
	inflight     []*update        // stream messages not yet acknowledged by all, in order
	activating   bool             // a new primary pushing its snapshot: serve nothing yet
	pendingSnaps int
	queues       map[int][]*clientOp // per key: operations in arrival order
	outbox       []*update           // Async: updates not yet shipped to the backups
}

// clientOp is an operation waiting its turn on its key at the primary.
type clientOp struct {
	req maelstrom.Msg
	op  kvstate.Op
	res kvstate.Result
	u   *update // the update the head operation waits for
}

// update is one stream message and the backups that have yet to
// acknowledge it.
type update struct {
	typ       string
	body      any
	waiting   []string
	committed bool
	onCommit  func()
}

// refreshView recomputes the advertised view: members and joiners. The slice
// is new each time, since message bodies share it.
func (n *Node) refreshView() {
	v := slices.Concat(n.members, n.joining)
	slices.SortFunc(v, n.byRank)
	n.view = v
}

// execute performs a client operation at the primary.
func (n *Node) execute(req maelstrom.Msg, op kvstate.Op) {
	if n.mode == Async {
		res := kvstate.Apply(kv{n}, op)
		if op.Mutates() && res.Code == 0 {
			n.replicate(op.Key) // acknowledged below, before any backup has it
		}
		res.Reply(n.env, req, op)
		return
	}
	q := n.queues[op.Key]
	n.queues[op.Key] = append(q, &clientOp{req: req, op: op})
	if len(q) == 0 {
		n.runKey(op.Key)
	}
}

// runKey executes the operations queued on key, one at a time: a write
// holds the queue until every backup has it.
func (n *Node) runKey(key int) {
	for {
		q := n.queues[key]
		if len(q) == 0 {
			delete(n.queues, key)
			return
		}
		c := q[0]
		c.res = kvstate.Apply(kv{n}, c.op)
		if c.op.Mutates() && c.res.Code == 0 {
			u := n.replicate(key)
			if !u.committed {
				c.u = u
				u.onCommit = func() { n.finishHead(key) }
				return
			}
		}
		c.res.Reply(n.env, c.req, c.op)
		n.queues[key] = q[1:]
	}
}

func (n *Node) finishHead(key int) {
	q := n.queues[key]
	c := q[0]
	c.res.Reply(n.env, c.req, c.op)
	n.queues[key] = q[1:]
	n.runKey(key)
}

// replicate streams key's new value (already applied locally) to the
// members, after syncing it here.
func (n *Node) replicate(key int) *update {
	n.seq++
	n.persist()
	body := UpdateBody{Epoch: n.epoch, Seq: n.seq, View: n.view, VV: n.vv, Key: key, Value: n.data[key]}
	if n.mode == Async {
		// Shipped in the background, with the next tick's batch.
		u := &update{typ: typeUpdate, body: body, waiting: slices.Clone(n.members)}
		if len(u.waiting) == 0 {
			u.committed = true
			return u
		}
		n.inflight = append(n.inflight, u)
		n.outbox = append(n.outbox, u)
		return u
	}
	return n.stream(typeUpdate, body, slices.Clone(n.members))
}

// ship sends the updates an Async primary has acknowledged since the last
// tick (log shipping).
func (n *Node) ship() {
	out := n.outbox
	n.outbox = nil
	for _, u := range out {
		for _, m := range slices.Clone(u.waiting) {
			if !u.committed && n.role == rolePrimary {
				n.sendUpdate(u, m)
			}
		}
	}
}

// noop streams a position that only carries the current view.
func (n *Node) noop() *update {
	n.seq++
	n.persist()
	body := UpdateBody{Epoch: n.epoch, Seq: n.seq, View: n.view, VV: n.vv, Noop: true}
	return n.stream(typeUpdate, body, slices.Clone(n.members))
}

// stream sends a message to targets and tracks their acknowledgements. With
// no targets it is committed at once.
func (n *Node) stream(typ string, body any, targets []string) *update {
	u := &update{typ: typ, body: body, waiting: targets}
	if len(targets) == 0 {
		u.committed = true
		return u
	}
	n.inflight = append(n.inflight, u)
	for _, m := range targets {
		n.sendUpdate(u, m)
	}
	return u
}

// sendUpdate sends u to m and resends it until m acknowledges it or leaves
// the view.
func (n *Node) sendUpdate(u *update, m string) {
	ep := n.epoch
	n.rpc(m, u.typ, u.body, RetryTimeout, func(resp maelstrom.Msg, err error) {
		if n.role != rolePrimary || n.epoch != ep || u.committed || !slices.Contains(u.waiting, m) {
			return
		}
		switch {
		case err != nil && maelstrom.ErrorCode(err) == maelstrom.Timeout:
			n.sendUpdate(u, m)
		case err != nil:
			n.dropMember(m, err.Error())
		case resp.Type == typeAck:
			n.acked(u, m)
		case resp.Type == typeNack:
			b, _ := maelstrom.Decode[NackBody](resp)
			if n.outranks(b.Primary, b.Epoch, n.id, n.epoch) {
				n.stepDown(b.Primary, b.Epoch)
			} else {
				n.dropMember(m, "refused the stream")
			}
		}
	})
}

func (n *Node) acked(u *update, m string) {
	u.waiting = slices.DeleteFunc(u.waiting, func(s string) bool { return s == m })
	if len(u.waiting) == 0 && !u.committed {
		u.committed = true
		n.inflight = slices.DeleteFunc(n.inflight, func(x *update) bool { return x == u })
		if u.onCommit != nil {
			u.onCommit()
		}
	}
}

// dropMember removes m from the view: updates stop waiting for it, and it
// must rejoin with a snapshot.
func (n *Node) dropMember(m, why string) {
	if !slices.Contains(n.members, m) && !slices.Contains(n.joining, m) {
		return
	}
	n.env.Logf("drop %s from the view (%s)", m, why)
	n.members = slices.DeleteFunc(n.members, func(s string) bool { return s == m })
	n.joining = slices.DeleteFunc(n.joining, func(s string) bool { return s == m })
	delete(n.tokens, m)
	n.vv++
	n.refreshView()
	ep := n.epoch
	for _, u := range slices.Clone(n.inflight) {
		if n.role != rolePrimary || n.epoch != ep {
			return
		}
		if slices.Contains(u.waiting, m) {
			n.acked(u, m)
		}
	}
}

// onJoin admits a recovering node: announce it to the members first (a
// no-op in the stream carrying the new view), then send it a snapshot.
func (n *Node) onJoin(src string, b JoinBody) {
	if n.role != rolePrimary || n.activating {
		return
	}
	if tok, ok := n.tokens[src]; ok && tok == b.Token {
		return // this attempt is already under way
	}
	n.dropMember(src, "it asks to join again")
	n.env.Logf("%s joins", src)
	n.tokens[src] = b.Token
	n.joining = append(n.joining, src)
	n.vv++
	n.refreshView()
	ep, tok := n.epoch, b.Token
	admit := func() {
		if n.role != rolePrimary || n.epoch != ep || n.tokens[src] != tok || !slices.Contains(n.joining, src) {
			return
		}
		n.joining = slices.DeleteFunc(n.joining, func(s string) bool { return s == src })
		n.members = append(n.members, src)
		slices.SortFunc(n.members, n.byRank)
		n.refreshView()
		body := SnapshotBody{Epoch: n.epoch, Seq: n.seq, View: n.view, VV: n.vv, Data: n.snapshotData()}
		n.stream(typeSnapshot, body, []string{src})
	}
	if u := n.noop(); u.committed {
		admit()
	} else {
		u.onCommit = admit
	}
}

// promote makes this node primary of a new epoch with the given backups. It
// serves nothing until each backup has installed its snapshot (or left the
// view), so that what it serves is on every member.
func (n *Node) promote(members []string) {
	n.epoch++
	n.seq = 0
	n.persist()
	n.env.Logf("primary at epoch %d with backups %v", n.epoch, members)
	n.role, n.primary = rolePrimary, n.id
	n.candidates, n.waitFor, n.target, n.targetEpoch = nil, "", "", 0
	clear(n.buf)
	slices.SortFunc(members, n.byRank)
	n.members, n.joining, n.inflight, n.outbox = members, nil, nil, nil
	clear(n.tokens)
	n.vv = 1
	n.refreshView()
	for _, m := range members {
		n.heard[m] = n.ticks
	}
	n.env.SetRole("primary")
	n.activating = len(members) > 0
	n.pendingSnaps = len(members)
	ep := n.epoch
	body := SnapshotBody{Epoch: n.epoch, Seq: 0, View: n.view, VV: n.vv, Data: n.snapshotData()}
	for _, m := range members {
		u := n.stream(typeSnapshot, body, []string{m})
		u.onCommit = func() {
			if n.role != rolePrimary || n.epoch != ep {
				return
			}
			if n.pendingSnaps--; n.pendingSnaps == 0 {
				n.activating = false
				n.flushHeld()
			}
		}
	}
	if !n.activating {
		n.flushHeld()
	}
}

// stepDown gives up the primary role to a primary that outranks this one.
// Operations in progress get an indefinite error (the write is applied
// here and perhaps on some backups); queued ones a definite one.
func (n *Node) stepDown(target string, epoch int) {
	n.env.Logf("step down at epoch %d: %s is primary at epoch %d", n.epoch, target, epoch)
	keys := make([]int, 0, len(n.queues))
	for k := range n.queues {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for i, c := range n.queues[k] {
			if i == 0 && c.u != nil {
				n.env.ReplyError(c.req, maelstrom.Timeout, "the primary stepped down before the write was on every backup")
			} else {
				n.env.ReplyError(c.req, maelstrom.TemporarilyUnavailable, "the primary stepped down")
			}
		}
	}
	clear(n.queues)
	n.members, n.joining, n.inflight, n.outbox = nil, nil, nil, nil
	clear(n.tokens)
	n.activating, n.pendingSnaps = false, 0
	n.role = roleBackup // so becomeRecovering sees a non-primary
	n.becomeRecovering(target, epoch)
}
