package workloads

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ddbbench/ddbbench/checkers/jsonval"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// ExpectReply checks that resp is the "<f>_ok" reply Maelstrom's workloads
// expect to op.
func ExpectReply(op *history.Op, resp maelstrom.Msg) error {
	if want := op.F + "_ok"; resp.Type != want {
		return fmt.Errorf("expected a %s reply to %s, got %s", want, op.F, resp.Type)
	}
	return nil
}

// ReplyField returns one field of a reply's body as raw JSON, so that the
// workload decodes it without losing large integers.
func ReplyField(resp maelstrom.Msg, field string) (json.RawMessage, error) {
	body, err := maelstrom.Decode[map[string]json.RawMessage](resp)
	if err != nil {
		return nil, err
	}
	v, ok := body[field]
	if !ok {
		return nil, fmt.Errorf("%s has no %q field", resp.Type, field)
	}
	return v, nil
}

// ReadsOnEveryNode is a final phase of one read aimed at each node, for
// workloads whose every node must end up with everything.
func ReadsOnEveryNode(nodes []string) []*history.Op {
	ops := make([]*history.Op, len(nodes))
	for i, n := range nodes {
		ops[i] = &history.Op{F: "read", Node: n, Final: true}
	}
	return ops
}

// ListField returns a reply field that Maelstrom's schema declares a list
// ([Any]) as a list of JSON values. Like Maelstrom's schema checker, it
// takes null for an empty list: a Go node's nil slice encodes as null, and
// Maelstrom accepts it.
func ListField(resp maelstrom.Msg, field string) ([]any, error) {
	raw, err := ReplyField(resp, field)
	if err != nil {
		return nil, err
	}
	t := bytes.TrimSpace(raw)
	if bytes.Equal(t, []byte("null")) {
		return []any{}, nil
	}
	if len(t) == 0 || t[0] != '[' {
		return nil, fmt.Errorf("%s %q: expected an array, got %.40s", resp.Type, field, raw)
	}
	v, err := jsonval.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", resp.Type, field, err)
	}
	list, _ := v.([]any)
	if list == nil {
		list = []any{}
	}
	return list, nil
}
