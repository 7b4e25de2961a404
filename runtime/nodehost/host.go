// Package nodehost runs a reference node (a nodes.Node) as a Maelstrom
// binary: messages arrive as JSON lines on stdin, go out on stdout, logs go
// to stderr, timers are real, and the durable store is a file in the node's
// data directory.
//
// One goroutine, the event loop, runs all node code, so nodes see the same
// one-event-at-a-time world as in the simulator. Other goroutines (the stdin
// reader, timer callbacks) only post events to the loop.
package nodehost

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// flushEvery bounds how many events may pass between stdout flushes while
// events keep arriving; when the loop goes idle it flushes at once.
const flushEvery = 64

// event is one thing for the loop to do: a message, a timer, or the end of
// stdin.
type event struct {
	msg   maelstrom.Msg
	timer nodes.TimerID // nonzero: this timer fired
	end   bool          // stdin ended; err says why if not EOF
	err   error
}

// Run hosts the node factory makes until stdin ends (it then returns nil),
// ctx ends (it returns ctx.Err()), a line on stdin is not a Maelstrom
// message, or stdout fails.
//
// The host answers "init" itself: it creates the node, calls its Init and
// replies init_ok. A request that arrives before init gets a definite
// temporarily-unavailable error (see host.deliver). Replies go to RPC
// callbacks, everything else to the node's Handle. dataDir holds the durable
// store ("" means the current directory); see fileStore for what survives
// what.
//
// Output is buffered and flushed whenever the loop has nothing left to do,
// or every flushEvery events under load: one write system call per burst
// rather than per message.
//
// When Run returns early because of ctx or an error, it closes stdin if
// stdin is an io.Closer so that its reader goroutine ends; otherwise that
// goroutine ends at the next line or EOF.
func Run(ctx context.Context, factory func() nodes.Node, stdin io.Reader, stdout, stderr io.Writer, dataDir string) error {
	h := &host{
		factory: factory,
		out:     bufio.NewWriterSize(stdout, 64<<10),
		log:     stderr,
		start:   time.Now(),
		events:  make(chan event, 1024),
		done:    make(chan struct{}),
		pending: map[int]*rpcCall{},
		timers:  map[nodes.TimerID]*timer{},
	}
	// Message ids come from the wall clock in microseconds so that they stay
	// unique across restarts without keeping a counter on disk: a reply
	// meant for an earlier incarnation's request can never match a new one.
	// They stay below 2^53 (until the year 2255), so nodes that parse JSON
	// numbers as doubles still read them exactly. They would collide only if
	// the wall clock stepped back across a restart, or the previous
	// incarnation averaged more than one RPC per microsecond.
	h.nextMsgID = int(h.start.UnixMicro())

	store, err := openStore(dataDir, h.Logf)
	if err != nil {
		return err
	}
	h.store = store
	defer store.close()

	go h.read(stdin)

	err = h.loop(ctx)

	close(h.done) // timer callbacks and the reader stop posting
	for _, t := range h.timers {
		t.t.Stop()
	}
	if c, ok := stdin.(io.Closer); ok && !h.inputEnded {
		c.Close() // unblocks the reader's Read
	}
	if ferr := h.out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("nodehost: writing stdout: %w", ferr)
	}
	return err
}

// host is the node's nodes.Env. Everything below is owned by the loop
// goroutine except events and done.
type host struct {
	factory func() nodes.Node
	out     *bufio.Writer
	log     io.Writer
	start   time.Time
	events  chan event
	done    chan struct{} // closed when Run returns

	inputEnded bool   // the reader has stopped
	line       []byte // scratch for encoding one message

	id      string
	nodeIDs []string
	node    nodes.Node // nil until init
	rng     *rand.Rand
	role    string
	store   *fileStore

	nextMsgID int
	pending   map[int]*rpcCall // RPCs awaiting a reply, by msg_id
	nextTimer nodes.TimerID
	timers    map[nodes.TimerID]*timer // live timers
}

type timer struct {
	t *time.Timer
	f func()
}

type rpcCall struct {
	cb    func(maelstrom.Msg, error)
	timer nodes.TimerID
}

func (h *host) loop(ctx context.Context) error {
	sinceFlush := 0
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-h.events:
			switch {
			case ev.end:
				h.inputEnded = true
				return ev.err
			case ev.timer != 0:
				h.fire(ev.timer)
			default:
				h.deliver(ev.msg)
			}
		}
		// Batch output while events are queued, but never hold it while
		// idle: a reply must not wait for the next event.
		sinceFlush++
		if len(h.events) == 0 || sinceFlush >= flushEvery {
			sinceFlush = 0
			if err := h.out.Flush(); err != nil {
				return fmt.Errorf("nodehost: writing stdout: %w", err)
			}
		}
	}
}

// post hands ev to the loop, or drops it once Run has returned.
func (h *host) post(ev event) bool {
	select {
	case h.events <- ev:
		return true
	case <-h.done:
		return false
	}
}

// read parses stdin into events. A line may be any length.
func (h *host) read(stdin io.Reader) {
	r := bufio.NewReaderSize(stdin, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			msg, perr := maelstrom.ParseLine(line)
			if perr != nil {
				// Garbage on stdin means the harness is broken: stop loudly
				// rather than guess.
				h.post(event{end: true, err: fmt.Errorf("nodehost: stdin line %d %.200q: %w", lineNo, bytes.TrimSpace(line), perr)})
				return
			}
			if !h.post(event{msg: msg}) {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			} else {
				err = fmt.Errorf("nodehost: reading stdin: %w", err)
			}
			h.post(event{end: true, err: err})
			return
		}
	}
}

// deliver routes one incoming message.
func (h *host) deliver(msg maelstrom.Msg) {
	switch {
	case msg.Type == "init" && !msg.IsReply():
		h.init(msg)
	case h.node == nil:
		// Maelstrom sends init first, so this is a client that raced a
		// restart. Tell it definitely that nothing happened (and that it may
		// retry) rather than let it time out with an unknown outcome. We
		// have no id yet, so we answer as the address it wrote to.
		if msg.HasMsgID() && !msg.IsReply() {
			h.answerAs(msg, maelstrom.TemporarilyUnavailable, "node not initialised yet")
		}
	case msg.IsReply():
		call, ok := h.pending[msg.InReplyTo]
		if !ok {
			return // late: the RPC already timed out
		}
		delete(h.pending, msg.InReplyTo)
		h.CancelTimer(call.timer)
		if rpcErr := msg.Err(); rpcErr != nil {
			call.cb(msg, rpcErr)
		} else {
			call.cb(msg, nil)
		}
	default:
		h.node.Handle(msg)
	}
}

func (h *host) init(msg maelstrom.Msg) {
	body, err := maelstrom.Decode[maelstrom.InitBody](msg)
	if err == nil && body.NodeID == "" {
		err = errors.New("no node_id")
	}
	switch {
	case err != nil:
		h.answerAs(msg, maelstrom.MalformedRequest, "bad init: "+err.Error())
		return
	case h.node != nil && body.NodeID != h.id:
		h.ReplyError(msg, maelstrom.MalformedRequest, "already initialised as "+h.id)
		return
	case h.node != nil:
		// A repeated init (a duplicated message) changes nothing.
		h.Reply(msg, "init_ok", nil)
		return
	}
	h.id, h.nodeIDs = body.NodeID, body.NodeIDs
	seed := fnv.New64a()
	seed.Write([]byte(h.id))
	h.rng = rand.New(rand.NewPCG(seed.Sum64(), uint64(h.start.UnixNano())))
	h.Logf("init: %s of %v", h.id, h.nodeIDs)
	h.node = h.factory()
	h.node.Init(h)
	h.Reply(msg, "init_ok", nil)
}

func (h *host) fire(id nodes.TimerID) {
	t, ok := h.timers[id]
	if !ok {
		return // cancelled after it fired, before the loop got to it
	}
	delete(h.timers, id)
	t.f()
}

// write queues one line for stdout. A body that does not encode is a bug in
// the node; crash with it rather than lose the message silently.
func (h *host) write(msg maelstrom.Msg) {
	line, err := maelstrom.AppendLine(h.line[:0], msg)
	if err != nil {
		panic(fmt.Sprintf("nodehost: %s to %s: %v", msg.Type, msg.Dest, err))
	}
	// A write error sticks in h.out; the loop's Flush reports it.
	h.out.Write(line)
	// Keep the scratch buffer, unless a huge message grew it.
	if cap(line) <= 64<<10 {
		h.line = line
	}
}

// The nodes.Env methods. Only node code calls them, from the loop.

func (h *host) ID() string         { return h.id }
func (h *host) NodeIDs() []string  { return h.nodeIDs }
func (h *host) Now() time.Duration { return time.Since(h.start) } // monotonic
func (h *host) Rand() nodes.Rand   { return h.rng }
func (h *host) Store() nodes.Store { return h.store }

func (h *host) Logf(format string, args ...any) {
	fmt.Fprintf(h.log, "%12.6f %s\n", h.Now().Seconds(), fmt.Sprintf(format, args...))
}

// SetRole has no harness to tell in a process: the role goes to the log,
// where a reader of the node's log (or a future harness) can find it.
func (h *host) SetRole(role string) {
	if role != h.role {
		h.role = role
		h.Logf("role %s", role)
	}
}

// WaitsFor has no harness to tell in a process either: a binary's wait-for
// edges would need a channel Maelstrom's protocol does not have, so a
// process run judges liveness from its history alone. The report goes to
// the log, for a person reading why a transaction hung.
func (h *host) WaitsFor(txn string, holders []string) {
	if len(holders) == 0 {
		h.Logf("txn %s waits for nothing", txn)
		return
	}
	h.Logf("txn %s waits for %s", txn, strings.Join(holders, " "))
}

// SetPhase and CommitState have no harness to tell in a process either
// (the kill-coordinator nemesis needs the simulator): phases change with
// every transaction, so only commit states, which say where a transaction
// stands, go to the log.
func (h *host) SetPhase(string) {}

func (h *host) CommitState(txn, state, cause string) {
	if cause != "" {
		h.Logf("txn %s %s (%s)", txn, state, cause)
		return
	}
	h.Logf("txn %s %s", txn, state)
}

func (h *host) Send(dest, typ string, body any) {
	h.write(maelstrom.Msg{Src: h.id, Dest: dest, Type: typ, Body: body})
}

func (h *host) Reply(req maelstrom.Msg, typ string, body any) {
	reply := maelstrom.Msg{Src: h.id, Dest: req.Src, Type: typ, Body: body}
	reply.AnswerTo(req)
	h.write(reply)
}

// answerAs replies with an error before the node has an id, from the
// address the request was sent to.
func (h *host) answerAs(req maelstrom.Msg, code int, text string) {
	reply := maelstrom.Msg{Src: req.Dest, Dest: req.Src, Type: "error", Body: maelstrom.ErrorBody{Code: code, Text: text}}
	reply.AnswerTo(req)
	h.write(reply)
}

func (h *host) ReplyError(req maelstrom.Msg, code int, text string) {
	h.Reply(req, "error", maelstrom.ErrorBody{Code: code, Text: text})
}

func (h *host) RPC(dest, typ string, body any, timeout time.Duration, cb func(maelstrom.Msg, error)) {
	id := h.nextMsgID
	h.nextMsgID++
	call := &rpcCall{cb: cb}
	call.timer = h.SetTimer(timeout, func() {
		if h.pending[id] == call {
			delete(h.pending, id)
			cb(maelstrom.Msg{}, maelstrom.NewRPCError(maelstrom.Timeout, typ+" to "+dest+" timed out"))
		}
	})
	h.pending[id] = call
	h.write(maelstrom.Msg{Src: h.id, Dest: dest, Type: typ, MsgID: id, Body: body})
}

func (h *host) SetTimer(d time.Duration, f func()) nodes.TimerID {
	h.nextTimer++
	id := h.nextTimer
	h.timers[id] = &timer{f: f, t: time.AfterFunc(max(d, 0), func() { h.post(event{timer: id}) })}
	return id
}

func (h *host) CancelTimer(id nodes.TimerID) {
	if t, ok := h.timers[id]; ok {
		t.t.Stop()
		delete(h.timers, id)
	}
}
