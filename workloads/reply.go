package workloads

import (
	"encoding/json"
	"fmt"

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
