// Package kvstate is the register state machine the replication strategies
// share: integer keys holding integers, with lin-kv's read, write and cas.
// Strategies differ in how they agree on the order of operations, not in
// what an operation does, so the "what" lives here once.
package kvstate

import (
	"fmt"
	"strconv"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// Op is one register request, decoded.
type Op struct {
	F     string `json:"f"` // "read", "write", "cas"
	Key   int    `json:"key"`
	Value int    `json:"value,omitempty"` // write
	From  int    `json:"from,omitempty"`  // cas
	To    int    `json:"to,omitempty"`    // cas
}

// Decode reads a client request into an Op. It reports false for message
// types that are not register operations.
func Decode(msg maelstrom.Msg) (Op, bool, error) {
	switch msg.Type {
	case "read":
		b, err := maelstrom.Decode[maelstrom.ReadBody](msg)
		return Op{F: "read", Key: b.Key}, true, err
	case "write":
		b, err := maelstrom.Decode[maelstrom.WriteBody](msg)
		return Op{F: "write", Key: b.Key, Value: b.Value}, true, err
	case "cas":
		b, err := maelstrom.Decode[maelstrom.CASBody](msg)
		return Op{F: "cas", Key: b.Key, From: b.From, To: b.To}, true, err
	}
	return Op{}, false, nil
}

// Request is the message that asks for op, for nodes that forward.
func (op Op) Request() (typ string, body any) {
	switch op.F {
	case "write":
		return "write", maelstrom.WriteBody{Key: op.Key, Value: op.Value}
	case "cas":
		return "cas", maelstrom.CASBody{Key: op.Key, From: op.From, To: op.To}
	}
	return "read", maelstrom.ReadBody{Key: op.Key}
}

// Mutates reports whether op may change the state.
func (op Op) Mutates() bool { return op.F != "read" }

// Result is what applying an Op gave: a reply type and body, or an error.
type Result struct {
	Value int
	Code  int // 0: success; else a Maelstrom error code
	Text  string
}

// Reply sends r to the client as op's reply.
func (r Result) Reply(env nodes.Env, req maelstrom.Msg, op Op) {
	switch {
	case r.Code != 0:
		env.ReplyError(req, r.Code, r.Text)
	case op.F == "read":
		env.Reply(req, "read_ok", maelstrom.ReadOKBody{Value: r.Value})
	default:
		env.Reply(req, op.F+"_ok", nil)
	}
}

// ReplyWith answers req with a reply received from another node, re-encoded
// for the client. Errors keep their code, so definite stays definite.
func ReplyWith(env nodes.Env, req maelstrom.Msg, resp maelstrom.Msg, err error) {
	if err != nil {
		code := maelstrom.ErrorCode(err)
		if code < 0 {
			code = maelstrom.Crash
		}
		env.ReplyError(req, code, err.Error())
		return
	}
	if resp.Type == "read_ok" {
		body, derr := maelstrom.Decode[maelstrom.ReadOKBody](resp)
		if derr != nil {
			env.ReplyError(req, maelstrom.Crash, derr.Error())
			return
		}
		env.Reply(req, "read_ok", body)
		return
	}
	env.Reply(req, resp.Type, nil)
}

// State is where register values live: memory or a durable store.
type State interface {
	Get(key int) (int, bool)
	Set(key, value int)
}

// Apply performs op on s, with lin-kv's semantics.
func Apply(s State, op Op) Result {
	cur, ok := s.Get(op.Key)
	switch op.F {
	case "read":
		if !ok {
			return Result{Code: maelstrom.KeyDoesNotExist, Text: "key does not exist"}
		}
		return Result{Value: cur}
	case "write":
		s.Set(op.Key, op.Value)
		return Result{}
	case "cas":
		if !ok {
			return Result{Code: maelstrom.KeyDoesNotExist, Text: "key does not exist"}
		}
		if cur != op.From {
			return Result{Code: maelstrom.PreconditionFailed, Text: fmt.Sprintf("expected %d, but had %d", op.From, cur)}
		}
		s.Set(op.Key, op.To)
		return Result{}
	}
	return Result{Code: maelstrom.MalformedRequest, Text: "unknown register operation " + op.F}
}

// Map is register state in memory.
type Map map[int]int

func (m Map) Get(key int) (int, bool) { v, ok := m[key]; return v, ok }
func (m Map) Set(key, value int)      { m[key] = value }

// Durable is register state in a node's durable store. Writes are not
// synced: the caller syncs before it acknowledges.
type Durable struct{ Store nodes.Store }

func (d Durable) Get(key int) (int, bool) {
	b, ok := d.Store.Get(storeKey(key))
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(string(b))
	return v, err == nil
}

func (d Durable) Set(key, value int) {
	d.Store.Put(storeKey(key), strconv.AppendInt(nil, int64(value), 10))
}

func storeKey(k int) string { return "reg/" + strconv.Itoa(k) }
