package maelstrom

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
)

// This file is a node library with the API of Maelstrom's Go demo library
// (github.com/jepsen-io/maelstrom/demo/go), so that a solution written for it
// builds against this package by changing its import path. Behaviour follows
// the original except where the original is wrong:
//
//   - stdin lines have no length limit (the original's bufio.Scanner stops at
//     64 KiB);
//   - Reply, RPC and KV.Read keep large integers exact (the original goes
//     through float64 and turns 9007199254740993 into ...992);
//   - an error body always carries "code", so code 0 (timeout) survives, and
//     Message.RPCError recognises an error by its type, not by a nonzero code;
//   - SyncRPC forgets its callback when its context ends, and returns when
//     stdin closes, so neither goroutines nor callbacks leak;
//   - a message with no handler gets a not-supported error instead of
//     stopping the node;
//   - messages are not logged one by one (that doubled the node's I/O).

// Node is a Maelstrom node: it reads messages from Stdin, runs a handler for
// each in its own goroutine, and writes messages to Stdout.
type Node struct {
	mu        sync.Mutex // guards the fields below
	id        string
	nodeIDs   []string
	nextMsgID int
	handlers  map[string]HandlerFunc
	callbacks map[int]HandlerFunc // RPCs awaiting a reply, by msg_id

	outMu    sync.Mutex     // one message per Write, whole lines only
	inflight sync.WaitGroup // handlers and callbacks still running
	closed   chan struct{}  // closed when Run stops reading: no reply can come

	// Stdin is for reading messages in from the Maelstrom network.
	Stdin io.Reader
	// Stdout is for writing messages out to the Maelstrom network.
	Stdout io.Writer
}

// HandlerFunc handles a message. An error returned by a request handler is
// sent back as an error reply: an *RPCError as is, anything else as crash.
type HandlerFunc func(msg Message) error

// NewNode returns a node connected to the process's stdin and stdout.
func NewNode() *Node {
	return &Node{
		handlers:  map[string]HandlerFunc{},
		callbacks: map[int]HandlerFunc{},
		closed:    make(chan struct{}),
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
	}
}

// Init sets the node's identity. Run calls it on "init"; tests may call it
// directly.
func (n *Node) Init(id string, nodeIDs []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.id, n.nodeIDs = id, nodeIDs
}

// ID is this node's id, known once "init" has arrived.
func (n *Node) ID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.id
}

// NodeIDs lists every node of the cluster, this one included, in the same
// order on every node. Known once "init" has arrived.
func (n *Node) NodeIDs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nodeIDs
}

// Handle registers fn for messages of type typ. It panics when typ already
// has a handler. A handler for "init" runs before the node answers init_ok.
func (n *Node) Handle(typ string, fn HandlerFunc) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.handlers[typ]; ok {
		panic(fmt.Sprintf("duplicate message handler for %q message type", typ))
	}
	n.handlers[typ] = fn
}

// Run reads messages from Stdin until it ends, handing each to its handler
// in a new goroutine, then waits for the handlers still running. It returns
// an error when a line is not a message or Stdin fails.
func (n *Node) Run() error {
	err := n.readLoop()
	// No reply can arrive any more: release SyncRPC callers so that the
	// handlers waiting on them can finish and Wait below returns.
	close(n.closed)
	n.inflight.Wait()
	return err
}

func (n *Node) readLoop() error {
	// A bufio.Reader rather than a Scanner: a line may be any length.
	r := bufio.NewReaderSize(n.Stdin, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if err := n.dispatch(line); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
	}
}

// dispatch routes one line. Identity is set here, before the next line is
// read, so that every later handler sees it.
func (n *Node) dispatch(line []byte) error {
	var msg Message
	if err := json.Unmarshal(line, &msg); err != nil {
		return fmt.Errorf("unmarshal message %.200q: %w", line, err)
	}
	var body MessageBody
	if err := json.Unmarshal(msg.Body, &body); err != nil {
		return fmt.Errorf("unmarshal message body %.200q: %w", line, err)
	}

	if body.InReplyTo != 0 {
		n.mu.Lock()
		h := n.callbacks[body.InReplyTo]
		delete(n.callbacks, body.InReplyTo)
		n.mu.Unlock()
		if h == nil {
			return nil // a late or duplicate reply: its caller has given up
		}
		n.spawn(func() {
			if err := h(msg); err != nil {
				log.Printf("callback error: %s", err)
			}
		})
		return nil
	}

	var h HandlerFunc
	if body.Type == "init" {
		var init InitMessageBody
		if err := json.Unmarshal(msg.Body, &init); err != nil {
			return fmt.Errorf("unmarshal init message body: %w", err)
		}
		n.Init(init.NodeID, init.NodeIDs)
		h = n.handleInit
	} else {
		n.mu.Lock()
		h = n.handlers[body.Type]
		n.mu.Unlock()
	}
	if h == nil {
		log.Printf("no handler for message type %q", body.Type)
		if body.MsgID != 0 {
			if err := n.Reply(msg, NewRPCError(NotSupported, "no handler for message type "+body.Type)); err != nil {
				log.Printf("reply error: %s", err)
			}
		}
		return nil
	}
	n.spawn(func() { n.handleMessage(h, msg) })
	return nil
}

// spawn runs f in its own goroutine, as the original library does: solutions
// block in handlers (SyncRPC) and rely on other messages being served.
func (n *Node) spawn(f func()) {
	n.inflight.Add(1)
	go func() {
		defer n.inflight.Done()
		f()
	}()
}

// handleMessage runs a request handler and turns its error into a reply.
func (n *Node) handleMessage(h HandlerFunc, msg Message) {
	err := h(msg)
	if err == nil {
		return
	}
	var rpcErr *RPCError
	if !errors.As(err, &rpcErr) {
		log.Printf("error handling %s: %s", msg.Body, err)
		rpcErr = NewRPCError(Crash, err.Error())
	}
	if err := n.Reply(msg, rpcErr); err != nil {
		log.Printf("reply error: %s", err)
	}
}

func (n *Node) handleInit(msg Message) error {
	n.mu.Lock()
	h := n.handlers["init"]
	n.mu.Unlock()
	if h != nil {
		if err := h(msg); err != nil {
			return err
		}
	}
	return n.Reply(msg, MessageBody{Type: "init_ok"})
}

// Reply sends body to the sender of req, with in_reply_to set to req's
// msg_id.
func (n *Node) Reply(req Message, body any) error {
	var reqBody MessageBody
	if err := json.Unmarshal(req.Body, &reqBody); err != nil {
		return err
	}
	b, err := encodeBody(body, "in_reply_to", reqBody.MsgID)
	if err != nil {
		return err
	}
	return n.write(req.Src, b)
}

// Send sends body to dest as a one-way message.
func (n *Node) Send(dest string, body any) error {
	b, err := encodeBody(body, "", 0)
	if err != nil {
		return err
	}
	return n.write(dest, b)
}

// RPC sends body to dest with a fresh msg_id; handler runs, in its own
// goroutine, with the reply. If no reply comes the handler never runs.
func (n *Node) RPC(dest string, body any, handler HandlerFunc) error {
	_, err := n.rpc(dest, body, handler)
	return err
}

func (n *Node) rpc(dest string, body any, handler HandlerFunc) (int, error) {
	n.mu.Lock()
	n.nextMsgID++
	id := n.nextMsgID
	n.callbacks[id] = handler
	n.mu.Unlock()

	b, err := encodeBody(body, "msg_id", id)
	if err == nil {
		err = n.write(dest, b)
	}
	if err != nil {
		n.forget(id)
		return 0, err
	}
	return id, nil
}

// forget drops the callback of an RPC whose caller stopped waiting.
func (n *Node) forget(id int) {
	n.mu.Lock()
	delete(n.callbacks, id)
	n.mu.Unlock()
}

// ErrClosed is returned by SyncRPC when the node's input has ended, so that
// no reply can arrive.
var ErrClosed = errors.New("maelstrom: node input closed")

// SyncRPC sends body to dest and waits for the reply, the end of ctx, or the
// end of the node's input. An error reply is returned as an *RPCError along
// with the message.
func (n *Node) SyncRPC(ctx context.Context, dest string, body any) (Message, error) {
	// Buffered: a reply racing with cancellation must not block its
	// callback goroutine forever.
	respCh := make(chan Message, 1)
	id, err := n.rpc(dest, body, func(m Message) error {
		respCh <- m
		return nil
	})
	if err != nil {
		return Message{}, err
	}
	select {
	case m := <-respCh:
		if rpcErr := m.RPCError(); rpcErr != nil {
			return m, rpcErr
		}
		return m, nil
	case <-ctx.Done():
		n.forget(id)
		return Message{}, ctx.Err()
	case <-n.closed:
		n.forget(id)
		return Message{}, ErrClosed
	}
}

// write sends one message as one line in one Write, so that concurrent
// handlers never interleave their output.
func (n *Node) write(dest string, body json.RawMessage) error {
	line, err := json.Marshal(Message{Src: n.ID(), Dest: dest, Body: body})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	n.outMu.Lock()
	defer n.outMu.Unlock()
	_, err = n.Stdout.Write(line)
	return err
}

// encodeBody encodes body as a JSON object, adding the field key (unless
// empty) with value id. Fields are carried as raw JSON rather than through
// map[string]any, which would round numbers to float64. An error body gets
// "code": 0 when the caller's struct dropped it (MessageBody's Code is
// omitempty, and 0 means timeout).
func encodeBody(body any, key string, id int) (json.RawMessage, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("message body must encode as a JSON object, got %.100s", b)
	}
	changed := false
	if key != "" {
		fields[key] = json.RawMessage(fmt.Appendf(nil, "%d", id))
		changed = true
	}
	if _, ok := fields["code"]; !ok && string(bytes.TrimSpace(fields["type"])) == `"error"` {
		fields["code"] = json.RawMessage("0")
		changed = true
	}
	if !changed {
		return b, nil
	}
	return json.Marshal(fields)
}

// Message is a message from Src to Dest. Body is kept as raw JSON for the
// handler to decode as it likes.
type Message struct {
	Src  string          `json:"src,omitempty"`
	Dest string          `json:"dest,omitempty"`
	Body json.RawMessage `json:"body,omitempty"`
}

// Type returns the body's "type", or "" when the body is malformed.
func (m Message) Type() string {
	var body MessageBody
	if err := json.Unmarshal(m.Body, &body); err != nil {
		return ""
	}
	return body.Type
}

// RPCError returns the error a body of type "error" carries, nil for any
// other type, and a crash error when the body does not decode.
func (m Message) RPCError() *RPCError {
	var body MessageBody
	if err := json.Unmarshal(m.Body, &body); err != nil {
		return NewRPCError(Crash, err.Error())
	}
	if body.Type != "error" {
		return nil
	}
	return NewRPCError(body.Code, body.Text)
}

// MessageBody holds the body fields every message may have. Embed it in a
// body struct to get them.
type MessageBody struct {
	Type      string `json:"type,omitempty"`
	MsgID     int    `json:"msg_id,omitempty"`
	InReplyTo int    `json:"in_reply_to,omitempty"`
	// Code is omitempty as in the original; Send and Reply put back a zero
	// code on a body of type "error".
	Code int    `json:"code,omitempty"`
	Text string `json:"text,omitempty"`
}

// InitMessageBody is the body of "init".
type InitMessageBody struct {
	MessageBody
	NodeID  string   `json:"node_id,omitempty"`
	NodeIDs []string `json:"node_ids,omitempty"`
}
