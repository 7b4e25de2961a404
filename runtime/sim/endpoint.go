package sim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/network"
)

// endpoint is one addressable party: a server node, a service or a client.
type endpoint struct {
	sim         *Sim
	id          string
	idx         int
	kind        network.Kind
	factory     func() nodes.Node
	ext         External // set for a node that lives outside the simulator
	store       *store
	alive       bool
	paused      bool
	incarnation int
	env         *env
	node        nodes.Node
	clockOffset int64
	role        string
	phase       string
	waiting     map[string]bool // transactions this incarnation reports waiting
	backlog     []pending       // what arrived while paused
	log         []byte
	logCut      bool
}

// pending is a delivery or timer held back while the node is paused.
type pending struct {
	msg   maelstrom.Msg
	timer func()
	id    nodes.TimerID
	inc   int
}

func (ep *endpoint) boot() {
	ep.incarnation++
	ep.alive, ep.paused, ep.role, ep.phase, ep.backlog = true, false, "", "", nil
	if ep.ext != nil {
		if err := ep.ext.Boot(ep.sim.serverIDs); err != nil {
			ep.sim.fail(err)
		}
		return
	}
	ep.env = &env{
		ep:      ep,
		inc:     ep.incarnation,
		rng:     ep.sim.Stream("node/" + ep.id + "/" + strconv.Itoa(ep.incarnation)),
		pending: map[int]*rpcCall{},
		timers:  map[nodes.TimerID]*event{},
		// Message ids stay unique across restarts so that a reply to a dead
		// incarnation's request cannot be mistaken for a new one's.
		nextMsgID: ep.incarnation<<32 | 1,
	}
	ep.env.firstMsgID = ep.env.nextMsgID
	if ep.kind == network.Client {
		// Clients remember how each request ended, to say what a stray
		// reply was (protocol warnings).
		ep.env.ends = new([]requestEnd)
	}
	ep.node = ep.factory()
	ep.node.Init(ep.env)
}

func (ep *endpoint) crash() {
	if !ep.alive {
		return
	}
	ep.alive, ep.paused, ep.role, ep.phase, ep.backlog = false, false, "", "", nil
	ep.endWaits()
	if ep.ext != nil {
		ep.ext.Kill()
		return
	}
	ep.env.dead = true
	ep.env, ep.node = nil, nil
	ep.store.crash()
	ep.logf("crashed")
}

func (ep *endpoint) pause() {
	if !ep.alive || ep.paused {
		return
	}
	ep.paused = true
	if ep.ext != nil {
		ep.ext.Pause()
	}
}

func (ep *endpoint) resume() {
	if !ep.paused {
		return
	}
	ep.paused = false
	if ep.ext != nil {
		ep.ext.Resume()
		return
	}
	backlog := ep.backlog
	ep.backlog = nil
	for i, p := range backlog {
		if !ep.alive || ep.paused {
			// Killed or paused again by something the backlog triggered.
			ep.backlog = append(ep.backlog, backlog[i:]...)
			return
		}
		if p.timer != nil {
			ep.fire(p.inc, p.id, p.timer)
		} else {
			ep.deliver(p.msg)
		}
	}
}

func (ep *endpoint) deliver(msg maelstrom.Msg) {
	if !ep.alive {
		ep.sim.stats.Dropped++
		return
	}
	if ep.ext != nil {
		// A stopped process's input waits in its pipe, as it would for real.
		ep.ext.Deliver(msg)
		return
	}
	if ep.paused {
		ep.backlog = append(ep.backlog, pending{msg: msg})
		return
	}
	e := ep.env
	if msg.IsReply() {
		call, ok := e.pending[msg.InReplyTo]
		if !ok {
			// A late reply (its RPC already timed out), a duplicate, or
			// one to nothing: a client says which.
			if e.ends != nil {
				ep.sim.warnings.add(e.stray(msg), time.Duration(ep.sim.now), msg)
			}
			return
		}
		delete(e.pending, msg.InReplyTo)
		e.ended(msg.InReplyTo, requestAnswered)
		e.CancelTimer(call.timer)
		if rpcErr := msg.Err(); rpcErr != nil {
			call.cb(msg, rpcErr)
		} else {
			call.cb(msg, nil)
		}
		return
	}
	if e.ends != nil {
		ep.sim.warnings.add(WarnUnsolicited, time.Duration(ep.sim.now), msg)
	}
	ep.node.Handle(msg)
}

// fire runs timer id of incarnation inc, unless it was cancelled or its
// incarnation is gone; a paused node runs it when it resumes.
func (ep *endpoint) fire(inc int, id nodes.TimerID, f func()) {
	if !ep.alive || inc != ep.incarnation {
		return
	}
	timers := ep.env.timers
	if _, live := timers[id]; !live {
		return
	}
	if ep.paused {
		timers[id] = nil // out of the queue; still cancellable until it runs
		ep.backlog = append(ep.backlog, pending{timer: f, id: id, inc: inc})
		return
	}
	delete(timers, id)
	f()
}

func (ep *endpoint) logf(format string, args ...any) {
	if ep.logCut {
		return
	}
	line := fmt.Sprintf("%12.6f %s\n", time.Duration(ep.sim.now).Seconds(), fmt.Sprintf(format, args...))
	if len(ep.log)+len(line) > ep.sim.cfg.LogLimit {
		ep.log = append(ep.log, "... log truncated at the size limit\n"...)
		ep.logCut = true
		return
	}
	ep.log = append(ep.log, line...)
}

type rpcCall struct {
	cb    func(maelstrom.Msg, error)
	timer nodes.TimerID
}

// env is an endpoint's nodes.Env for one incarnation.
type env struct {
	ep        *endpoint
	inc       int
	dead      bool
	rng       *rand.Rand
	nextMsgID int
	pending   map[int]*rpcCall
	// firstMsgID is this incarnation's first request id; ends, kept for
	// clients only, records how each request since then ended.
	firstMsgID int
	ends       *[]requestEnd
	// timers are the live timers: a cancelled one is absent, and one that
	// fired while its node was paused, and waits for it, maps to nil.
	timers    map[nodes.TimerID]*event
	nextTimer nodes.TimerID
}

func (e *env) ID() string         { return e.ep.id }
func (e *env) NodeIDs() []string  { return e.ep.sim.serverIDs }
func (e *env) Now() time.Duration { return time.Duration(e.ep.sim.now + e.ep.clockOffset) }
func (e *env) Rand() nodes.Rand   { return e.rng }
func (e *env) Store() nodes.Store { return (*incarnationStore)(e) }
func (e *env) SetRole(role string) {
	if !e.dead {
		e.ep.role = role
	}
}

// SetPhase records the phase and tells whoever watches for it, which may
// kill this node on the spot: what the node does after this call in the
// same step then goes nowhere, as if it had crashed at this instant.
func (e *env) SetPhase(phase string) {
	if e.dead {
		return
	}
	e.ep.phase = phase
	if phase != "" {
		e.ep.sim.phaseEntered(e.ep.id, phase)
	}
}

func (e *env) CommitState(txn, state, cause string) {
	if e.dead {
		return
	}
	s := e.ep.sim
	s.commits = append(s.commits, history.CommitEvent{Time: s.now, Node: e.ep.id, Txn: txn, State: state, Cause: cause})
}

// incarnationStore is the node's store as one incarnation sees it: once
// the incarnation is dead (killed in the middle of a step), its writes go
// nowhere, as a crashed process's do.
type incarnationStore env

func (i *incarnationStore) Get(key string) ([]byte, bool) { return i.ep.store.Get(key) }
func (i *incarnationStore) Put(key string, value []byte) {
	if !i.dead {
		i.ep.store.Put(key, value)
	}
}
func (i *incarnationStore) Delete(key string) {
	if !i.dead {
		i.ep.store.Delete(key)
	}
}
func (i *incarnationStore) Sync() {
	if !i.dead {
		i.ep.store.Sync()
	}
}

func (e *env) WaitsFor(txn string, holders []string) {
	if e.dead {
		return
	}
	ep := e.ep
	if ep.waiting == nil {
		ep.waiting = map[string]bool{}
	}
	if len(holders) == 0 {
		if !ep.waiting[txn] {
			return
		}
		delete(ep.waiting, txn)
	} else {
		ep.waiting[txn] = true
	}
	ep.sim.waits = append(ep.sim.waits, history.Wait{Time: ep.sim.now, Node: ep.id, Txn: txn, Holders: slices.Clone(holders)})
}

// endWaits records that a crash ended every wait at this node: its lock
// table, and with it every queue, is gone.
func (ep *endpoint) endWaits() {
	txns := slices.Sorted(maps.Keys(ep.waiting))
	for _, txn := range txns {
		ep.sim.waits = append(ep.sim.waits, history.Wait{Time: ep.sim.now, Node: ep.id, Txn: txn})
	}
	ep.waiting = nil
}

func (e *env) Logf(format string, args ...any) {
	if !e.dead {
		e.ep.logf(format, args...)
	}
}

func (e *env) Send(dest, typ string, body any) {
	e.send(maelstrom.Msg{Dest: dest, Type: typ, Body: body})
}

func (e *env) Reply(req maelstrom.Msg, typ string, body any) {
	reply := maelstrom.Msg{Dest: req.Src, Type: typ, Body: body}
	reply.AnswerTo(req)
	e.send(reply)
}

func (e *env) ReplyError(req maelstrom.Msg, code int, text string) {
	e.Reply(req, "error", maelstrom.ErrorBody{Code: code, Text: text})
}

func (e *env) send(msg maelstrom.Msg) {
	if e.dead {
		return
	}
	msg.Src = e.ep.id
	e.ep.sim.send(e.ep, msg)
}

func (e *env) RPC(dest, typ string, body any, timeout time.Duration, cb func(maelstrom.Msg, error)) {
	if e.dead {
		return
	}
	id := e.nextMsgID
	e.nextMsgID++
	call := &rpcCall{cb: cb}
	call.timer = e.SetTimer(timeout, func() {
		if _, ok := e.pending[id]; ok {
			delete(e.pending, id)
			e.ended(id, requestTimedOut)
			cb(maelstrom.Msg{}, maelstrom.NewRPCError(maelstrom.Timeout, typ+" to "+dest+" timed out"))
		}
	})
	e.pending[id] = call
	e.send(maelstrom.Msg{Dest: dest, Type: typ, MsgID: id, Body: body})
}

func (e *env) SetTimer(d time.Duration, f func()) nodes.TimerID {
	if e.dead {
		return 0
	}
	e.nextTimer++
	id := e.nextTimer
	s := e.ep.sim
	ev := s.queue.alloc()
	ev.kind, ev.dest, ev.inc, ev.timer, ev.fn = evTimer, e.ep.idx, e.inc, id, f
	e.timers[id] = ev
	if d < 0 {
		d = 0
	}
	s.schedule(ev, s.now+int64(d))
	return id
}

// CancelTimer forgets the timer and takes its event out of the queue, so
// that the timers a node resets on every message (an election timeout, an
// RPC's) do not pile up in it.
func (e *env) CancelTimer(id nodes.TimerID) {
	ev, ok := e.timers[id]
	if !ok {
		return
	}
	delete(e.timers, id)
	if ev != nil {
		q := &e.ep.sim.queue
		q.remove(ev)
		q.release(ev)
	}
}
