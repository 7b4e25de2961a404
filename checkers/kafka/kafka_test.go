package kafka

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

type op = history.Op

func send(proc int, key string, msg any, offset int64) *op {
	return &op{Process: proc, F: FSend, Key: key, Value: msg, Result: offset, Outcome: history.OK}
}

func sendOut(proc int, key string, msg any, out history.Outcome) *op {
	return &op{Process: proc, F: FSend, Key: key, Value: msg, Outcome: out}
}

// poll takes key, then offset/msg pairs: poll(0, "a", 0, 1, 1, 2).
func poll(proc int, key string, offsetMsgs ...any) *op {
	var ps []Pair
	for i := 0; i < len(offsetMsgs); i += 2 {
		ps = append(ps, Pair{Offset: int64(offsetMsgs[i].(int)), Msg: offsetMsgs[i+1]})
	}
	return &op{Process: proc, F: FPoll, Value: map[string]int64{}, Result: map[string][]Pair{key: ps}, Outcome: history.OK}
}

func finalPoll(proc int, key string, offsetMsgs ...any) *op {
	p := poll(proc, key, offsetMsgs...)
	p.Final = true
	return p
}

func assign(proc int, keys []string, listed map[string]int64) *op {
	return &op{Process: proc, F: FAssign, Value: keys, Result: listed, Outcome: history.OK}
}

func commit(proc int, offsets map[string]int64, out history.Outcome) *op {
	return &op{Process: proc, F: FCommit, Value: offsets, Outcome: out}
}

func hist(ops ...*op) history.History {
	for i, o := range ops {
		o.Index = i
		o.Invoke, o.Complete = int64(10*i), int64(10*i+5)
	}
	return ops
}

// base: three acknowledged messages on key a, all polled in order by one
// client.
func base() []*op {
	return []*op{send(0, "a", 1, 0), send(0, "a", 2, 1), send(0, "a", 3, 2),
		poll(1, "a", 0, 1, 1, 2), poll(1, "a", 2, 3)}
}

func TestKafkaChecker(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		h      history.History
		want   checkers.Validity
		types  []string // anomaly types expected in the evidence (all of them)
		inSumm []string
	}{
		{name: "clean", h: hist(base()...), want: checkers.Valid},
		{name: "sparse offsets are fine",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 5), send(0, "a", 3, 9),
				poll(1, "a", 0, 1, 5, 2), poll(1, "a", 9, 3)),
			want: checkers.Valid},
		{name: "indefinite sends may or may not appear",
			h: hist(append(base(), sendOut(0, "a", 4, history.Info), sendOut(0, "b", 1, history.Info),
				send(0, "a", 5, 4), poll(1, "a", 3, 4, 4, 5))...),
			want: checkers.Valid},
		{name: "final polls start over without being nonmonotonic",
			h:    hist(append(base(), finalPoll(1, "a", 0, 1, 1, 2, 2, 3))...),
			want: checkers.Valid},
		{name: "an assign of other keys restarts skip tracking",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1), send(0, "a", 3, 2),
				poll(1, "a", 0, 1), assign(1, []string{"b"}, nil), poll(1, "a", 2, 3),
				poll(2, "a", 0, 1, 1, 2, 2, 3)),
			want: checkers.Valid},
		{name: "values after JSON",
			h: hist(send(0, "a", float64(1), 0), send(0, "a", json.Number("2"), 1),
				poll(1, "a", 0, int64(1), 1, float64(2))),
			want: checkers.Valid},
		{name: "a commit regression is only noted by default",
			h:    hist(append(base(), commit(1, map[string]int64{"a": 2}, history.OK), assign(2, []string{"a"}, map[string]int64{"a": 1}))...),
			want: checkers.Valid, types: []string{"commit-regressed"}, inSumm: []string{"allowed: commit-regressed ×1"}},
		{name: "a commit regression is an error when strict",
			opts: Options{StrictCommits: true},
			h:    hist(append(base(), commit(1, map[string]int64{"a": 2}, history.OK), assign(2, []string{"a"}, map[string]int64{}))...),
			want: checkers.Invalid, types: []string{"commit-regressed"}},
		{name: "listing an uncommitted key as 0 is fine",
			h:    hist(append(base(), assign(2, []string{"a", "b"}, map[string]int64{"a": 0, "b": 0}))...),
			want: checkers.Valid},
		{name: "listing an offset an indefinite commit tried is fine",
			h:    hist(append(base(), commit(1, map[string]int64{"a": 2}, history.Info), assign(2, []string{"a"}, map[string]int64{"a": 2}))...),
			want: checkers.Valid},
		// Maelstrom: having processed offset 2, a consumer "starts at offset
		// 3 (or lower)", so a server may list the offset after the last one
		// committed, where a consumer resumes.
		{name: "listing the offset after the committed one is fine",
			h:    hist(append(base(), commit(1, map[string]int64{"a": 1}, history.OK), assign(2, []string{"a"}, map[string]int64{"a": 2}))...),
			want: checkers.Valid},
		{name: "listing an offset nobody committed",
			h:    hist(append(base(), commit(1, map[string]int64{"a": 1}, history.OK), assign(2, []string{"a"}, map[string]int64{"a": 3}))...),
			want: checkers.Invalid, types: []string{"invented-commit"}},
		{name: "listing a resume point with nothing committed",
			h:    hist(append(base(), assign(2, []string{"a"}, map[string]int64{"a": 1}))...),
			want: checkers.Invalid, types: []string{"invented-commit"}},
		{name: "listing an offset only a failed commit tried",
			h:    hist(append(base(), commit(1, map[string]int64{"a": 2}, history.Fail), assign(2, []string{"a"}, map[string]int64{"a": 2}))...),
			want: checkers.Invalid, types: []string{"invented-commit"}},
		{name: "an acknowledged message never polled",
			h:    hist(append(base(), send(0, "a", 4, 3))...),
			want: checkers.Invalid, types: []string{"unseen"}, inSumm: []string{"unseen ×1"}},
		{name: "lost write: a later position was polled, an earlier one never",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1), send(0, "a", 3, 2),
				poll(1, "a", 0, 1), poll(2, "a", 2, 3)),
			want: checkers.Invalid, types: []string{"lost-write", "unseen"}},
		{name: "inconsistent offsets",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1),
				poll(1, "a", 0, 1, 1, 9)),
			want: checkers.Invalid, types: []string{"inconsistent-offsets", "unexpected", "unseen", "lost-write"}},
		{name: "a message at two offsets",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1),
				poll(1, "a", 0, 1, 1, 2, 2, 1)),
			want: checkers.Invalid, types: []string{"duplicate", "int-nonmonotonic-poll", "nonmonotonic-send"}},
		{name: "a poll that skips inside itself",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1), send(0, "a", 3, 2),
				poll(1, "a", 0, 1, 2, 3), poll(2, "a", 1, 2)),
			want: checkers.Invalid, types: []string{"int-poll-skip"}},
		{name: "a poll that goes backwards inside itself",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1),
				poll(1, "a", 1, 2, 0, 1)),
			want: checkers.Invalid, types: []string{"int-nonmonotonic-poll"}},
		{name: "successive polls skip",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1), send(0, "a", 3, 2),
				poll(1, "a", 0, 1), poll(1, "a", 2, 3), poll(2, "a", 0, 1, 1, 2, 2, 3)),
			want: checkers.Invalid, types: []string{"poll-skip"}},
		{name: "successive polls skip even with an empty poll between",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1), send(0, "a", 3, 2),
				poll(1, "a", 0, 1), poll(1, "a"), poll(1, "a", 2, 3), poll(2, "a", 0, 1, 1, 2, 2, 3)),
			want: checkers.Invalid, types: []string{"poll-skip"}},
		{name: "an assign that keeps the key keeps skip tracking",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1), send(0, "a", 3, 2),
				poll(1, "a", 0, 1), assign(1, []string{"a"}, nil), poll(1, "a", 2, 3), poll(2, "a", 0, 1, 1, 2, 2, 3)),
			want: checkers.Invalid, types: []string{"poll-skip"}},
		{name: "successive polls go backwards",
			h: hist(send(0, "a", 1, 0), send(0, "a", 2, 1),
				poll(1, "a", 0, 1, 1, 2), poll(1, "a", 1, 2)),
			want: checkers.Invalid, types: []string{"nonmonotonic-poll"}},
		{name: "a client's sends go backwards",
			h: hist(send(0, "a", 1, 5), send(0, "a", 2, 4),
				poll(1, "a", 4, 2, 5, 1)),
			want: checkers.Invalid, types: []string{"nonmonotonic-send"}},
		{name: "a failed send observed",
			h: hist(send(0, "a", 1, 0), sendOut(0, "a", 2, history.Fail),
				poll(1, "a", 0, 1, 1, 2)),
			want: checkers.Invalid, types: []string{"G1a"}},
		{name: "a message nobody sent",
			h:    hist(send(0, "a", 1, 0), poll(1, "a", 0, 1, 1, 77)),
			want: checkers.Invalid, types: []string{"unexpected"}},
		{name: "a message sent to another key",
			h:    hist(send(0, "a", 1, 0), send(0, "b", 5, 0), poll(1, "a", 0, 1, 1, 5), poll(1, "b", 0, 5)),
			want: checkers.Invalid, types: []string{"unexpected"}},
		{name: "nothing polled",
			h:    hist(send(0, "a", 1, 0)),
			want: checkers.Invalid, types: []string{"unseen"}},
		{name: "nothing sent",
			h:    hist(poll(1, "a")),
			want: checkers.Unknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := New(tc.opts).Check(tc.h)
			if res.Valid != tc.want {
				t.Fatalf("valid = %s, want %s: %s", res.Valid, tc.want, res.Summary)
			}
			ev := res.Evidence.(*Evidence)
			want := slices.Clone(tc.types)
			slices.Sort(want)
			if !slices.Equal(ev.ErrorTypes, want) {
				t.Errorf("error types %v, want %v (%s)", ev.ErrorTypes, want, res.Summary)
			}
			for _, s := range tc.inSumm {
				if !strings.Contains(res.Summary, s) {
					t.Errorf("summary %q lacks %q", res.Summary, s)
				}
			}
			if _, err := json.Marshal(res); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestKafkaEvidenceDetail(t *testing.T) {
	h := hist(send(0, "a", 1, 0), send(0, "a", 2, 1), send(0, "a", 3, 2),
		poll(1, "a", 0, 1), poll(1, "a", 2, 3))
	ev := New(Options{}).Check(h).Evidence.(*Evidence)
	skip := ev.Errors["poll-skip"]
	if len(skip) != 1 || *skip[0].Delta != 2 || len(skip[0].Skipped) != 1 || skip[0].Skipped[0] != 2 ||
		!slices.Equal(skip[0].Ops, []int{3, 4}) {
		t.Errorf("poll-skip %+v", skip)
	}
	lost := ev.Errors["lost-write"]
	if len(lost) != 1 || lost[0].Value != 2 || *lost[0].Offset != 1 || lost[0].Ops[0] != 1 {
		t.Errorf("lost-write %+v", lost)
	}
	if u := ev.Unseen["a"]; u.Count != 1 || u.Messages[0] != 2 {
		t.Errorf("unseen %+v", ev.Unseen)
	}
}

// The same history, written to history.jsonl and read back (numbers as
// float64, pairs as arrays, maps as map[string]any), gets the same verdict.
func TestKafkaAfterJSONL(t *testing.T) {
	for _, h := range []history.History{
		hist(append(base(), commit(1, map[string]int64{"a": 2}, history.OK), assign(2, []string{"a"}, map[string]int64{"a": 2}))...),
		hist(send(0, "a", 1, 0), send(0, "a", 2, 1), send(0, "a", 3, 2), poll(1, "a", 0, 1), poll(1, "a", 2, 3), assign(1, []string{"b"}, map[string]int64{"b": 7})),
	} {
		var buf bytes.Buffer
		if err := h.WriteJSONL(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := history.ReadJSONL(&buf)
		if err != nil {
			t.Fatal(err)
		}
		a, b := New(Options{}).Check(h), New(Options{}).Check(back)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("verdict changed after JSONL:\n%s\n%s", ja, jb)
		}
	}
}

func TestMsgsParsing(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"a":[[0,1],[1,"x"]],"b":[]}`), &v); err != nil {
		t.Fatal(err)
	}
	m, ok := Msgs(v)
	if !ok || len(m["a"]) != 2 || m["a"][1].Offset != 1 || m["a"][1].Msg != "x" || len(m["b"]) != 0 {
		t.Errorf("Msgs = %v, %v", m, ok)
	}
	for _, bad := range []string{`{"a":[[0]]}`, `{"a":[[0.5,1]]}`, `{"a":[["0",1]]}`, `{"a":3}`, `[1]`} {
		var v any
		if err := json.Unmarshal([]byte(bad), &v); err != nil {
			t.Fatal(err)
		}
		if _, ok := Msgs(v); ok {
			t.Errorf("Msgs accepted %s", bad)
		}
	}
	var p Pair
	if err := json.Unmarshal([]byte(`[9007199254740993, 4]`), &p); err != nil || p.Offset != 9007199254740993 {
		t.Errorf("pair %+v %v", p, err)
	}
	if b, _ := json.Marshal(Pair{Offset: 3, Msg: "m"}); string(b) != `[3,"m"]` {
		t.Errorf("pair encodes as %s", b)
	}
	if _, ok := Offsets(map[string]any{"a": 1.5}); ok {
		t.Error("Offsets accepted a fraction")
	}
	if ks, ok := Keys([]any{"a", "b"}); !ok || len(ks) != 2 {
		t.Errorf("Keys = %v %v", ks, ok)
	}
	if _, ok := Keys([]any{"a", 1}); ok {
		t.Error("Keys accepted a number")
	}
}
