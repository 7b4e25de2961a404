package maelstrom

import (
	"errors"
	"strings"
	"testing"
)

// Lines as Maelstrom's own documentation and demo nodes write them.
func TestParseLineOnRealMessages(t *testing.T) {
	for _, tc := range []struct {
		line              string
		src, dest, typ    string
		msgID, inReplyTo  int
		hasMsgID, isReply bool
	}{
		{`{"src":"c1","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2","n3"]}}`,
			"c1", "n1", "init", 1, 0, true, false},
		{`{"src": "n1", "dest": "c1", "body": {"type": "init_ok", "in_reply_to": 1}}`,
			"n1", "c1", "init_ok", 0, 1, false, true},
		{`{"id":3,"src":"c2","dest":"n1","body":{"echo":"Please echo 35","type":"echo","msg_id":1}}`,
			"c2", "n1", "echo", 1, 0, true, false},
		// Maelstrom's JavaScript demo numbers messages from 0.
		{`{"src":"n2","dest":"lin-kv","body":{"type":"read","msg_id":0,"key":"x"}}`,
			"n2", "lin-kv", "read", 0, 0, true, false},
		{`{"src":"lin-kv","dest":"n2","body":{"type":"error","in_reply_to":0,"code":20,"text":"not found"}}`,
			"lin-kv", "n2", "error", 0, 0, false, true},
	} {
		m, err := ParseLine([]byte(tc.line))
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		if m.Src != tc.src || m.Dest != tc.dest || m.Type != tc.typ || m.MsgID != tc.msgID || m.InReplyTo != tc.inReplyTo ||
			m.HasMsgID() != tc.hasMsgID || m.IsReply() != tc.isReply {
			t.Errorf("%s: parsed %+v (has msg_id %v, reply %v)", tc.line, m, m.HasMsgID(), m.IsReply())
		}
	}
}

func TestParseLineErrorsSayWhatWasExpected(t *testing.T) {
	for line, want := range map[string]string{
		`hello`:                                      "one JSON object per line",
		`{"dest":"n1","body":{"type":"x"}}`:          `missing "src"`,
		`{"src":"n1","body":{"type":"x"}}`:           `missing "dest"`,
		`{"src":"n1","dest":"c1","body":[1]}`:        "must be a JSON object",
		`{"src":"n1","dest":"c1","body":{"a":1}}`:    `no "type"`,
		`{"src":"n1","dest":"c1"}`:                   "must be a JSON object",
		`{"src":"n1","dest":"c1","body":{"type":1}}`: "body header",
	} {
		_, err := ParseLine([]byte(line))
		if !errors.Is(err, ErrBadLine) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an ErrBadLine mentioning %q, got %v", line, want, err)
		}
	}
}

func TestAppendLineSplicesHeaderAndBody(t *testing.T) {
	m := Msg{Src: "n0", Dest: "c1", Type: "cas", MsgID: 7, Body: CASBody{Key: 1, From: 2, To: 3}}
	line, err := AppendLine(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"src":"n0","dest":"c1","body":{"type":"cas","msg_id":7,"key":1,"from":2,"to":3}}` + "\n"
	if string(line) != want {
		t.Fatalf("got  %s\nwant %s", line, want)
	}
	back, err := ParseLine(line)
	if err != nil {
		t.Fatal(err)
	}
	body, err := Decode[CASBody](back)
	if err != nil || body != (CASBody{Key: 1, From: 2, To: 3}) || back.MsgID != 7 {
		t.Fatalf("round trip gave %+v %+v %v", back, body, err)
	}
}

func TestReplyToMsgIDZeroKeepsInReplyTo(t *testing.T) {
	req, err := ParseLine([]byte(`{"src":"c1","dest":"n0","body":{"type":"read","msg_id":0,"key":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	reply := Msg{Src: "n0", Dest: "c1", Type: "read_ok", Body: ReadOKBody{Value: 4}}
	reply.AnswerTo(req)
	line, _ := AppendLine(nil, reply)
	if !strings.Contains(string(line), `"in_reply_to":0`) {
		t.Fatalf("a reply to msg_id 0 must say in_reply_to 0: %s", line)
	}
	// A message built in code has no ids at all.
	line, _ = AppendLine(nil, Msg{Src: "n0", Dest: "n1", Type: "gossip"})
	if strings.Contains(string(line), "msg_id") || strings.Contains(string(line), "in_reply_to") {
		t.Fatalf("a plain message must carry no ids: %s", line)
	}
}

func TestRawBodiesPassThroughVerbatim(t *testing.T) {
	line := `{"src":"n1","dest":"n2","body":{"type":"gossip","msg_id":3,"big":9007199254740993,"extra":{"z":1,"a":2}}}`
	m, err := ParseLine([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := AppendLine(nil, m)
	if strings.TrimSpace(string(out)) != line {
		t.Fatalf("raw body changed:\n%s\n%s", line, out)
	}
}

func TestErrorCodesAndDefiniteness(t *testing.T) {
	for _, tc := range []struct {
		code     int
		name     string
		definite bool
	}{
		{Timeout, "timeout", false}, {NodeNotFound, "node-not-found", true}, {NotSupported, "not-supported", true},
		{TemporarilyUnavailable, "temporarily-unavailable", true}, {MalformedRequest, "malformed-request", true},
		{Crash, "crash", false}, {Abort, "abort", true}, {KeyDoesNotExist, "key-does-not-exist", true},
		{KeyAlreadyExists, "key-already-exists", true}, {PreconditionFailed, "precondition-failed", true},
		{TxnConflict, "txn-conflict", true}, {LockHeld, "lock-held", true}, {NotLockHolder, "not-lock-holder", true},
		{StaleToken, "stale-token", true}, {1999, "error-1999", false},
	} {
		if ErrorName(tc.code) != tc.name || IsDefinite(tc.code) != tc.definite {
			t.Errorf("code %d: got %s definite=%v, want %s definite=%v", tc.code, ErrorName(tc.code), IsDefinite(tc.code), tc.name, tc.definite)
		}
	}
	m, _ := ParseLine([]byte(`{"src":"n1","dest":"c1","body":{"type":"error","in_reply_to":2,"code":0}}`))
	if e := m.Err(); e == nil || e.Code != Timeout || e.Definite() {
		t.Fatalf("error code 0 must decode as an indefinite timeout, got %+v", e)
	}
}
