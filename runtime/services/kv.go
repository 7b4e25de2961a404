package services

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// kvOp is a decoded read, write or cas. Keys and values are canonical JSON
// text; "" marks a field the request did not carry, since no JSON text is
// empty.
type kvOp struct {
	typ    string // "read", "write" or "cas"
	key    string
	value  string // write
	from   string // cas
	to     string // cas
	create bool   // cas: create_if_not_exists
}

// kvWire is a key-value request as JSON, fields kept raw so that numbers
// keep every digit until canonicalJSON looks at them.
type kvWire struct {
	Key               json.RawMessage `json:"key"`
	Value             json.RawMessage `json:"value"`
	From              json.RawMessage `json:"from"`
	To                json.RawMessage `json:"to"`
	CreateIfNotExists bool            `json:"create_if_not_exists"`
}

// decodeKV reads req as an op of its own type, or returns a
// malformed-request error naming what is wrong.
func decodeKV(req maelstrom.Msg) (kvOp, *maelstrom.RPCError) {
	op := kvOp{typ: req.Type}
	// The integer bodies in-process nodes use need no JSON at all.
	switch b := req.Body.(type) {
	case maelstrom.ReadBody:
		op.key = strconv.Itoa(b.Key)
	case maelstrom.WriteBody:
		op.key, op.value = strconv.Itoa(b.Key), strconv.Itoa(b.Value)
	case maelstrom.CASBody:
		op.key, op.from, op.to = strconv.Itoa(b.Key), strconv.Itoa(b.From), strconv.Itoa(b.To)
	default:
		w, err := maelstrom.Decode[kvWire](req)
		if err != nil {
			return op, malformed(req, err.Error())
		}
		fields := []struct {
			raw json.RawMessage
			dst *string
		}{{w.Key, &op.key}, {w.Value, &op.value}, {w.From, &op.from}, {w.To, &op.to}}
		for _, f := range fields {
			if f.raw == nil {
				continue
			}
			if *f.dst, err = canonicalJSON(f.raw); err != nil {
				return op, malformed(req, err.Error())
			}
		}
		op.create = w.CreateIfNotExists
	}
	// Maelstrom would take a missing field as null; every client library
	// sends them all, so a missing one is far likelier a bug to point out.
	missing := ""
	switch {
	case op.key == "":
		missing = "key"
	case op.typ == "write" && op.value == "":
		missing = "value"
	case op.typ == "cas" && op.from == "":
		missing = "from"
	case op.typ == "cas" && op.to == "":
		missing = "to"
	}
	if missing != "" {
		return op, malformed(req, fmt.Sprintf("missing %q", missing))
	}
	return op, nil
}

func malformed(req maelstrom.Msg, why string) *maelstrom.RPCError {
	return maelstrom.NewRPCError(maelstrom.MalformedRequest, "malformed "+req.Type+" request: "+why)
}

// kvResult is what an op did to its key.
type kvResult struct {
	err      *maelstrom.RPCError // a definite error: nothing changed
	value    string              // read: the value read
	put      bool                // the op stores newValue under the key
	newValue string
}

// apply runs op against the key's current value, with the semantics of
// Maelstrom's PersistentKV. Every store variant shares it; they differ only
// in which version of the key they hand it.
func (op kvOp) apply(cur string, exists bool) kvResult {
	switch op.typ {
	case "read":
		if !exists {
			return kvResult{err: op.missing()}
		}
		return kvResult{value: cur}
	case "write":
		return kvResult{put: true, newValue: op.value}
	}
	// cas
	switch {
	case !exists && op.create:
		return kvResult{put: true, newValue: op.to}
	case !exists:
		return kvResult{err: op.missing()}
	case cur != op.from:
		return kvResult{err: maelstrom.NewRPCError(maelstrom.PreconditionFailed,
			fmt.Sprintf("current value %s is not %s", cur, op.from))}
	}
	return kvResult{put: true, newValue: op.to}
}

func (op kvOp) missing() *maelstrom.RPCError {
	return maelstrom.NewRPCError(maelstrom.KeyDoesNotExist, "key "+op.key+" does not exist")
}

// changes reports whether res alters a key whose value was cur: a write or
// cas that stores the value already there leaves the state as it was.
func (res kvResult) changes(cur string, exists bool) bool {
	return res.put && (!exists || res.newValue != cur)
}

// replyKV answers req with res.
func replyKV(env nodes.Env, req maelstrom.Msg, op kvOp, res kvResult) {
	switch {
	case res.err != nil:
		replyError(env, req, res.err)
	case op.typ == "read":
		reply(env, req, "read_ok", readOK(res.value))
	default:
		reply(env, req, op.typ+"_ok", nil)
	}
}

// readOK is read_ok's body for a canonical value: the integer body when the
// value is an int, which in-process readers decode without JSON.
func readOK(value string) any {
	if n, err := strconv.Atoi(value); err == nil {
		return maelstrom.ReadOKBody{Value: n}
	}
	return ReadOKBody{Value: json.RawMessage(value)}
}

// canonicalJSON returns one spelling for every JSON text that denotes the
// same value in Maelstrom (whose Clojure reads integers exactly and other
// numbers as doubles): object keys sorted, no insignificant space, one
// escaping of strings, integers exact, other numbers as the shortest text
// of their double, with ".0" kept so that 1.0 stays apart from 1, as it
// does in Clojure.
func canonicalJSON(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	if isIntLiteral(raw) { // the common case, without a decoder
		return string(canonicalNumber(json.Number(raw))), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	if dec.More() {
		return "", fmt.Errorf("trailing data after JSON value %s", raw)
	}
	out, err := json.Marshal(canonicalNumbers(v))
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// isIntLiteral reports whether b is a JSON integer: an optional minus and
// digits (JSON allows no leading zeros or plus, so it is already canonical).
func isIntLiteral(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || (b[0] == '0' && len(b) > 1) {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// canonicalNumbers rewrites every json.Number in v to its canonical text.
func canonicalNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		return canonicalNumber(v)
	case []any:
		for i := range v {
			v[i] = canonicalNumbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = canonicalNumbers(v[k])
		}
	}
	return v
}

func canonicalNumber(n json.Number) json.Number {
	s := string(n)
	if isIntLiteral([]byte(s)) {
		if s == "-0" {
			return "0"
		}
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Beyond a double's range: the text as sent is at least stable.
		return n
	}
	if f == 0 {
		f = 0 // -0.0 equals 0.0 in Clojure
	}
	// Spelled as encoding/json spells a float64, plus the ".0".
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	out := strconv.FormatFloat(f, format, -1, 64)
	if !strings.ContainsAny(out, ".e") {
		out += ".0"
	}
	return json.Number(out)
}

// newKVMux returns a Mux serving read, write and cas: it decodes each
// request, answers malformed ones, and answers the rest with what serve
// makes of them. The stores differ only in serve.
func newKVMux(env nodes.Env, serve func(req maelstrom.Msg, op kvOp) kvResult) *nodes.Mux {
	mux := nodes.NewMux(env)
	for _, typ := range []string{"read", "write", "cas"} {
		mux.Handle(typ, func(req maelstrom.Msg) {
			op, err := decodeKV(req)
			if err != nil {
				replyError(env, req, err)
				return
			}
			replyKV(env, req, op, serve(req, op))
		})
	}
	return mux
}
