package maelstrom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
)

// Names of Maelstrom's key-value services.
const (
	LinKV = "lin-kv"
	SeqKV = "seq-kv"
	LWWKV = "lww-kv"
)

// KV is a client of one of Maelstrom's key-value services, used from a
// Node's handlers. Every call is a SyncRPC: it blocks until the reply, the
// end of ctx, or the end of the node's input.
type KV struct {
	typ  string
	node *Node
}

// NewKV returns a client of the service named typ.
func NewKV(typ string, node *Node) *KV { return &KV{typ: typ, node: node} }

// NewLinKV returns a client of the linearizable store.
func NewLinKV(node *Node) *KV { return NewKV(LinKV, node) }

// NewSeqKV returns a client of the sequentially consistent store.
func NewSeqKV(node *Node) *KV { return NewKV(SeqKV, node) }

// NewLWWKV returns a client of the last-write-wins store.
func NewLWWKV(node *Node) *KV { return NewKV(LWWKV, node) }

// Read returns the value of key: an int when the value is an integral
// number, exactly (the original went through float64); otherwise what
// encoding/json gives for an any, as in the original (numbers inside arrays
// and objects are float64; use ReadInto with a typed target to keep them
// exact). A missing key is an *RPCError with code KeyDoesNotExist.
func (kv *KV) Read(ctx context.Context, key string) (any, error) {
	raw, err := kv.readRaw(ctx, key)
	if err != nil {
		return nil, err
	}
	return decodeValue(raw)
}

// ReadInto decodes the value of key into v.
func (kv *KV) ReadInto(ctx context.Context, key string, v any) error {
	raw, err := kv.readRaw(ctx, key)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// ReadInt returns the value of key as an int. Unlike the original, a value
// that is not an integer is an error rather than a silent 0.
func (kv *KV) ReadInt(ctx context.Context, key string) (int, error) {
	v, err := kv.Read(ctx, key)
	if err != nil {
		return 0, err
	}
	i, ok := v.(int)
	if !ok {
		return 0, fmt.Errorf("%s: value of key %q is %T, not an int", kv.typ, key, v)
	}
	return i, nil
}

// Write sets key to value.
func (kv *KV) Write(ctx context.Context, key string, value any) error {
	_, err := kv.node.SyncRPC(ctx, kv.typ, kvWriteMessageBody{
		MessageBody: MessageBody{Type: "write"},
		Key:         key,
		Value:       value,
	})
	return err
}

// CompareAndSwap sets key to to if its value is from, creating it when it
// does not exist and createIfNotExists is set. A mismatch is an *RPCError
// with code PreconditionFailed; a missing key one with KeyDoesNotExist.
func (kv *KV) CompareAndSwap(ctx context.Context, key string, from, to any, createIfNotExists bool) error {
	_, err := kv.node.SyncRPC(ctx, kv.typ, kvCASMessageBody{
		MessageBody:       MessageBody{Type: "cas"},
		Key:               key,
		From:              from,
		To:                to,
		CreateIfNotExists: createIfNotExists,
	})
	return err
}

// readRaw returns the "value" field of a read_ok as raw JSON.
func (kv *KV) readRaw(ctx context.Context, key string) (json.RawMessage, error) {
	resp, err := kv.node.SyncRPC(ctx, kv.typ, kvReadMessageBody{
		MessageBody: MessageBody{Type: "read"},
		Key:         key,
	})
	if err != nil {
		return nil, err
	}
	var body struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return nil, err
	}
	return body.Value, nil
}

// decodeValue decodes a read value; see KV.Read.
func decodeValue(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		var v any
		err := json.Unmarshal(raw, &v)
		return v, err
	}
	var num json.Number
	if err := json.Unmarshal(raw, &num); err != nil {
		return nil, err
	}
	if i, err := num.Int64(); err == nil && int64(int(i)) == i {
		return int(i), nil
	}
	f, err := num.Float64()
	if err != nil {
		return nil, err
	}
	// 1e3 is an integer too; the original returned int for every number.
	if f == math.Trunc(f) && f >= math.MinInt && f < math.MaxInt {
		return int(f), nil
	}
	return f, nil
}

type kvReadMessageBody struct {
	MessageBody
	Key string `json:"key"`
}

type kvWriteMessageBody struct {
	MessageBody
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type kvCASMessageBody struct {
	MessageBody
	Key               string `json:"key"`
	From              any    `json:"from"`
	To                any    `json:"to"`
	CreateIfNotExists bool   `json:"create_if_not_exists,omitempty"`
}
