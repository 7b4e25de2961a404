// Package maelstrom is Maelstrom's wire protocol: messages, error codes and
// the one-JSON-object-per-line codec, plus a node library with the API of
// Maelstrom's Go demo library for nodes built outside this module.
package maelstrom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Msg is one message as the harness carries it. The body's header fields
// (type, msg_id, in_reply_to) are kept apart from the rest of the body so that
// routing never decodes JSON, and the body itself is either a typed Go value
// (messages made in-process, passed by value without encoding) or the raw
// JSON text it arrived as (messages read from a process). Decode turns either
// into the type the receiver wants.
//
// A Msg and its Body are immutable once sent: the simulator may deliver the
// same value twice (duplication) and never copies it.
type Msg struct {
	Src, Dest string
	Type      string
	MsgID     int // see HasMsgID: 0 is also the value when there is none
	InReplyTo int // see IsReply

	// Maelstrom's ids may start at 0 (its JavaScript demo library numbers
	// from 0), so a msg_id or in_reply_to of 0 that was really on the wire is
	// flagged here, leaving the zero Msg with no ids.
	zeroMsgID, zeroInReplyTo bool

	// Body holds the body fields other than the header, as a Go value whose
	// JSON encoding is an object. Nil for messages read from a process.
	Body any
	// Raw is the complete JSON body as received from a process, headers
	// included. Nil for messages made in-process.
	Raw json.RawMessage
}

// HasMsgID reports whether m carries a msg_id, i.e. expects an answer.
func (m Msg) HasMsgID() bool { return m.MsgID != 0 || m.zeroMsgID }

// IsReply reports whether m answers an earlier request.
func (m Msg) IsReply() bool { return m.InReplyTo != 0 || m.zeroInReplyTo }

// AnswerTo makes m a reply to req: its in_reply_to is req's msg_id.
func (m *Msg) AnswerTo(req Msg) {
	m.InReplyTo, m.zeroInReplyTo = req.MsgID, req.MsgID == 0 && req.zeroMsgID
}

// Err returns the message's error when it is of type "error", else nil.
func (m Msg) Err() *RPCError {
	if m.Type != "error" {
		return nil
	}
	body, err := Decode[ErrorBody](m)
	if err != nil {
		return &RPCError{Code: MalformedRequest, Text: "undecodable error body: " + err.Error()}
	}
	return &RPCError{Code: body.Code, Text: body.Text}
}

// Decode returns m's body as a T. When the sender used the same Go type the
// value is returned as is; otherwise the body goes through JSON.
func Decode[T any](m Msg) (T, error) {
	if v, ok := m.Body.(T); ok {
		return v, nil
	}
	var out T
	raw := m.Raw
	if raw == nil {
		var err error
		if raw, err = json.Marshal(m.Body); err != nil {
			return out, fmt.Errorf("%s body: %w", m.Type, err)
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("%s body: %w", m.Type, err)
	}
	return out, nil
}

// BodyJSON returns the complete body, header fields included, as JSON.
func (m Msg) BodyJSON() ([]byte, error) {
	if m.Raw != nil {
		return m.Raw, nil
	}
	return appendBody(nil, m)
}

// header is the part of a body that routing needs.
type header struct {
	Type      string `json:"type"`
	MsgID     *int   `json:"msg_id"`
	InReplyTo *int   `json:"in_reply_to"`
}

type envelope struct {
	Src  string          `json:"src"`
	Dest string          `json:"dest"`
	Body json.RawMessage `json:"body"`
}

// ErrBadLine is wrapped by every error ParseLine returns.
var ErrBadLine = errors.New("not a Maelstrom message")

// ParseLine decodes one line of a node's stdout. Errors name what was
// expected, for the harness to show next to the offending line.
func ParseLine(line []byte) (Msg, error) {
	line = bytes.TrimSpace(line)
	var env envelope
	if err := json.Unmarshal(line, &env); err != nil {
		return Msg{}, fmt.Errorf("%w: expected one JSON object per line, like {\"src\":\"n0\",\"dest\":\"c1\",\"body\":{\"type\":\"echo_ok\"}}: %v", ErrBadLine, err)
	}
	switch {
	case env.Src == "":
		return Msg{}, fmt.Errorf("%w: missing \"src\"", ErrBadLine)
	case env.Dest == "":
		return Msg{}, fmt.Errorf("%w: missing \"dest\"", ErrBadLine)
	case len(env.Body) == 0 || env.Body[0] != '{':
		return Msg{}, fmt.Errorf("%w: \"body\" must be a JSON object", ErrBadLine)
	}
	var h header
	if err := json.Unmarshal(env.Body, &h); err != nil {
		return Msg{}, fmt.Errorf("%w: body header: %v", ErrBadLine, err)
	}
	if h.Type == "" {
		return Msg{}, fmt.Errorf("%w: body has no \"type\"", ErrBadLine)
	}
	m := Msg{Src: env.Src, Dest: env.Dest, Type: h.Type, Raw: env.Body}
	if h.MsgID != nil {
		m.MsgID, m.zeroMsgID = *h.MsgID, *h.MsgID == 0
	}
	if h.InReplyTo != nil {
		m.InReplyTo, m.zeroInReplyTo = *h.InReplyTo, *h.InReplyTo == 0
	}
	return m, nil
}

// AppendLine appends m as one JSON line (with its newline) to dst.
func AppendLine(dst []byte, m Msg) ([]byte, error) {
	dst = append(dst, `{"src":`...)
	dst = appendString(dst, m.Src)
	dst = append(dst, `,"dest":`...)
	dst = appendString(dst, m.Dest)
	dst = append(dst, `,"body":`...)
	var err error
	if m.Raw != nil {
		dst = append(dst, m.Raw...)
	} else if dst, err = appendBody(dst, m); err != nil {
		return nil, err
	}
	return append(dst, '}', '\n'), nil
}

// appendString appends s as a JSON string. Node ids and types are short
// and plain almost always, so those are copied as they are; anything else
// goes through encoding/json, whose escapes are JSON's (Go's quoting, as
// strconv.Quote does it, writes "\x01", which JSON does not have).
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendBody writes the header fields followed by the fields of m.Body.
func appendBody(dst []byte, m Msg) ([]byte, error) {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, m.Type)
	if m.HasMsgID() {
		dst = append(dst, `,"msg_id":`...)
		dst = strconv.AppendInt(dst, int64(m.MsgID), 10)
	}
	if m.IsReply() {
		dst = append(dst, `,"in_reply_to":`...)
		dst = strconv.AppendInt(dst, int64(m.InReplyTo), 10)
	}
	if m.Body == nil {
		return append(dst, '}'), nil
	}
	fields, err := json.Marshal(m.Body)
	if err != nil {
		return nil, fmt.Errorf("encoding %s body: %w", m.Type, err)
	}
	fields = bytes.TrimSpace(fields)
	if len(fields) < 2 || fields[0] != '{' {
		return nil, fmt.Errorf("encoding %s body: %T does not encode as a JSON object", m.Type, m.Body)
	}
	if inner := bytes.TrimSpace(fields[1 : len(fields)-1]); len(inner) > 0 {
		dst = append(dst, ',')
		dst = append(dst, inner...)
	}
	return append(dst, '}'), nil
}

// InitBody is the body of Maelstrom's "init" message.
type InitBody struct {
	NodeID  string   `json:"node_id"`
	NodeIDs []string `json:"node_ids"`
}
