package maelstrom

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// The wire codec's contract, for any input: ParseLine never panics, and a
// message it accepts re-encodes (AppendLine) to one valid JSON line that
// parses back to the same message. Seeds: testdata/fuzz/FuzzParseLine.
func FuzzParseLine(f *testing.F) {
	for _, line := range []string{
		`{"src":"c1","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2","n3"]}}`,
		`{"src": "n1", "dest": "c1", "body": {"type": "init_ok", "in_reply_to": 0}}`,
		`{"src":"n1","dest":"c1","body":{"type":"error","in_reply_to":2,"code":20,"text":"not found"}}`,
		`{"src":"n\u0001","dest":"c\"1","body":{"type":"t\\u00e9","msg_id":-3}}`,
	} {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := ParseLine(line)
		if err != nil {
			if !errors.Is(err, ErrBadLine) {
				t.Fatalf("error %v does not wrap ErrBadLine", err)
			}
			return
		}
		if bytes.ContainsRune(bytes.TrimSpace(line), '\n') {
			// ParseLine is given one line; a newline inside is JSON
			// whitespace the raw body would carry along.
			return
		}
		out, err := AppendLine(nil, m)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", m, err)
		}
		wantOneJSONLine(t, out)
		back, err := ParseLine(out)
		if err != nil {
			t.Fatalf("re-encoded line %q does not parse: %v", out, err)
		}
		sameHeader(t, back, m)
		if !bytes.Equal(back.Raw, m.Raw) {
			t.Fatalf("raw body changed: %s -> %s", m.Raw, back.Raw)
		}
	})
}

// Any message made in code encodes as one valid JSON line that parses back
// to it (strings that are not valid UTF-8 come back with U+FFFD for each
// bad byte, as encoding/json decodes them), and one without src, dest or
// type is refused when read. Seeds: testdata/fuzz/FuzzAppendLine.
func FuzzAppendLine(f *testing.F) {
	f.Add("n0", "c1", "echo", 1, 0, true, false, "echo", "hello")
	f.Add("n\x01", "c\"", "read\u2028ok", 0, 0, true, true, "k\xff", "v\t\\")
	f.Fuzz(func(t *testing.T, src, dest, typ string, msgID, inReplyTo int, hasMsgID, isReply bool, key, value string) {
		m := Msg{Src: src, Dest: dest, Type: typ, MsgID: msgID, InReplyTo: inReplyTo,
			zeroMsgID: hasMsgID && msgID == 0, zeroInReplyTo: isReply && inReplyTo == 0}
		switch key {
		case "type", "msg_id", "in_reply_to":
		default:
			m.Body = map[string]string{key: value}
		}
		out, err := AppendLine(nil, m)
		if err != nil {
			t.Fatalf("encoding %+v: %v", m, err)
		}
		wantOneJSONLine(t, out)
		back, err := ParseLine(out)
		if src == "" || dest == "" || typ == "" {
			if err == nil {
				t.Fatalf("%q parsed although src, dest or type is empty", out)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q does not parse: %v", out, err)
		}
		want := m
		want.Src, want.Dest, want.Type = decoded(src), decoded(dest), decoded(typ)
		sameHeader(t, back, want)
		if m.Body == nil {
			return
		}
		body, err := Decode[map[string]any](back)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := body[decoded(key)].(string); !ok || got != decoded(value) {
			t.Fatalf("body %q came back as %q", m.Body, body)
		}
	})
}

// decoded is s as encoding/json gives it back: each byte that is not part
// of valid UTF-8 becomes U+FFFD.
func decoded(s string) string { return string([]rune(s)) }

func wantOneJSONLine(t *testing.T, line []byte) {
	t.Helper()
	if len(line) == 0 || line[len(line)-1] != '\n' || bytes.IndexByte(line, '\n') != len(line)-1 {
		t.Fatalf("not one line: %q", line)
	}
	if !json.Valid(line) {
		t.Fatalf("not JSON: %q", line)
	}
}

func sameHeader(t *testing.T, got, want Msg) {
	t.Helper()
	if got.Src != want.Src || got.Dest != want.Dest || got.Type != want.Type ||
		got.MsgID != want.MsgID || got.HasMsgID() != want.HasMsgID() ||
		got.InReplyTo != want.InReplyTo || got.IsReply() != want.IsReply() {
		t.Fatalf("header changed in a round trip:\n got %+v\nwant %+v", got, want)
	}
}
