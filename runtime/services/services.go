// Package services is Maelstrom's built-in services, as nodes the runtimes
// host beside the servers: lin-kv, seq-kv, lww-kv and lin-tso. Their
// semantics follow Maelstrom's src/maelstrom/service.clj, which is the
// reference that existing Maelstrom solutions were written against.
//
// A service is a nodes.Node like any other, so it is deterministic in the
// simulator: what it chooses at random it draws from env.Rand(). Services
// never crash and are never faulted; their links to servers have latency.
//
// Keys and values of the key-value services are arbitrary JSON. They are
// stored and compared as canonical JSON (see canonicalJSON), so the same key
// sent as a Go int by an in-process node and as a JSON number by a process
// names the same entry, and integers of any size survive exactly.
package services

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// Bodies for talking to the key-value services with keys and values of any
// JSON type. Nodes that use integer keys and values can use maelstrom's
// ReadBody, WriteBody and CASBody instead (those skip JSON in-process); the
// services accept both.
type (
	ReadBody struct {
		Key any `json:"key"`
	}
	WriteBody struct {
		Key   any `json:"key"`
		Value any `json:"value"`
	}
	CASBody struct {
		Key  any `json:"key"`
		From any `json:"from"`
		To   any `json:"to"`
		// CreateIfNotExists makes a cas of a missing key store To instead
		// of failing with key-does-not-exist.
		CreateIfNotExists bool `json:"create_if_not_exists,omitempty"`
	}
	// ReadOKBody is read_ok's body. The value is kept as JSON text so that
	// big integers are not rounded through float64; unmarshal it into the
	// type you expect. When the value is an integer that fits an int the
	// services reply with a maelstrom.ReadOKBody instead, which decodes
	// into this type (or into that one without JSON).
	ReadOKBody struct {
		Value json.RawMessage `json:"value"`
	}
	// TSOKBody is lin-tso's ts_ok body.
	TSOKBody struct {
		TS int `json:"ts"`
	}
)

// registry maps each service's node id to its constructor.
var registry = map[string]func() nodes.Node{
	"lin-kv":  func() nodes.Node { return newLinKV() },
	"seq-kv":  func() nodes.Node { return newSeqKV(seqWindow) },
	"lww-kv":  func() nodes.Node { return newLWWKV(lwwReplicas) },
	"lin-tso": func() nodes.Node { return newTSO() },
}

// Names lists the services, sorted. Each name is also the node id the
// service is reached at.
func Names() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// New returns the factory for the named service's nodes.
func New(name string) (func() nodes.Node, error) {
	if f, ok := registry[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown service %q (valid: %s)", name, strings.Join(Names(), ", "))
}

// reply answers req unless it carries no msg_id. Maelstrom would answer
// with in_reply_to null, but here a reply without in_reply_to would reach
// the sender's Handle as a fresh request, so a fire-and-forget request is
// carried out and not answered.
func reply(env nodes.Env, req maelstrom.Msg, typ string, body any) {
	if req.HasMsgID() {
		env.Reply(req, typ, body)
	}
}

// replyError is reply for errors.
func replyError(env nodes.Env, req maelstrom.Msg, err *maelstrom.RPCError) {
	if req.HasMsgID() {
		env.ReplyError(req, err.Code, err.Text)
	}
}
