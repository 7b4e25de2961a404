package kafka

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	kafkacheck "github.com/ddbbench/ddbbench/checkers/kafka"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

var _ workloads.Workload = (*Workload)(nil)

func raw(typ, body string) maelstrom.Msg {
	return maelstrom.Msg{Type: typ, InReplyTo: 1, Raw: json.RawMessage(body)}
}

func request(t *testing.T, w *Workload, op *history.Op) (string, string) {
	t.Helper()
	typ, body := w.Request(op)
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return typ, string(b)
}

func TestGenerate(t *testing.T) {
	w := New(DefaultConfig())
	rng := rand.New(rand.NewPCG(1, 2))
	count := map[string]int{}
	last := map[string]int{}
	keys := map[string]bool{}
	for range 5000 {
		op := w.Generate(rng)
		count[op.F]++
		switch op.F {
		case kafkacheck.FSend:
			v := op.Value.(int)
			if v != last[op.Key]+1 {
				t.Fatalf("key %s: message %d after %d", op.Key, v, last[op.Key])
			}
			if v > DefaultConfig().MaxWritesPerKey {
				t.Fatalf("key %s took %d messages", op.Key, v)
			}
			last[op.Key] = v
			keys[op.Key] = true
		case kafkacheck.FAssign:
			ks := op.Value.([]string)
			if len(ks) == 0 || !sort.SliceIsSorted(ks, func(i, j int) bool { return keyLess(ks[i], ks[j]) }) {
				t.Fatalf("assign %v", ks)
			}
		case kafkacheck.FPoll, kafkacheck.FCommit:
			if op.Value != nil {
				t.Fatalf("%s generated with a value", op.F)
			}
		default:
			t.Fatalf("op %+v", op)
		}
	}
	// 1/16 assigns, then sends:polls:commits 2:2:1.
	if a := count[kafkacheck.FAssign]; a < 200 || a > 450 {
		t.Errorf("%d assigns of 5000", a)
	}
	if s, c := count[kafkacheck.FSend], count[kafkacheck.FCommit]; s < 3*c/2 || s > 5*c/2 {
		t.Errorf("%d sends, %d commits", s, c)
	}
	// Keys are retired as they fill up, so many more than 10 are used.
	if len(keys) < 50 {
		t.Errorf("only %d keys used", len(keys))
	}
	// Deterministic.
	a, b := New(DefaultConfig()), New(DefaultConfig())
	ra, rb := rand.New(rand.NewPCG(5, 5)), rand.New(rand.NewPCG(5, 5))
	for range 500 {
		x, y := a.Generate(ra), b.Generate(rb)
		if fmt.Sprint(x) != fmt.Sprint(y) {
			t.Fatalf("%v vs %v", x, y)
		}
	}
}

func TestClientState(t *testing.T) {
	w := New(DefaultConfig())
	assign := &history.Op{F: kafkacheck.FAssign, Value: []string{"1", "2"}, Process: 5, Client: "c0"}
	if typ, body := request(t, w, assign); typ != "list_committed_offsets" || body != `{"keys":["1","2"]}` {
		t.Fatalf("assign request %s %s", typ, body)
	}
	if err := w.Complete(assign, raw("list_committed_offsets_ok", `{"offsets":{"1":4}}`)); err != nil {
		t.Fatal(err)
	}
	if got := assign.Result.(map[string]int64); got["1"] != 4 || len(got) != 1 {
		t.Errorf("assign result %v", got)
	}
	poll := &history.Op{F: kafkacheck.FPoll, Process: 5, Client: "c0"}
	if typ, body := request(t, w, poll); typ != "poll" || body != `{"offsets":{"1":4,"2":0}}` {
		t.Fatalf("poll request %s %s", typ, body)
	}
	if fmt.Sprint(poll.Value) != "map[1:4 2:0]" {
		t.Errorf("poll records %v", poll.Value)
	}
	if err := w.Complete(poll, raw("poll_ok", `{"msgs":{"1":[[4,9],[6,10]],"2":[]}}`)); err != nil {
		t.Fatal(err)
	}
	if got := poll.Result.(map[string][]kafkacheck.Pair); len(got["1"]) != 2 || got["1"][1] != (kafkacheck.Pair{Offset: 6, Msg: int64(10)}) {
		t.Errorf("poll result %v", got)
	}
	poll2 := &history.Op{F: kafkacheck.FPoll, Process: 5, Client: "c0"}
	if _, body := request(t, w, poll2); body != `{"offsets":{"1":7,"2":0}}` {
		t.Errorf("second poll %s", body)
	}
	commit := &history.Op{F: kafkacheck.FCommit, Process: 5, Client: "c0"}
	if typ, body := request(t, w, commit); typ != "commit_offsets" || body != `{"offsets":{"1":6}}` {
		t.Errorf("commit %s %s", typ, body)
	}
	if err := w.Complete(commit, raw("commit_offsets_ok", `{}`)); err != nil {
		t.Error(err)
	}
	// Re-assigning keeps the position of a kept key and starts a new key at
	// its committed offset.
	again := &history.Op{F: kafkacheck.FAssign, Value: []string{"1", "3"}, Process: 5, Client: "c0"}
	request(t, w, again)
	if err := w.Complete(again, raw("list_committed_offsets_ok", `{"offsets":{"1":0,"3":2}}`)); err != nil {
		t.Fatal(err)
	}
	if _, body := request(t, w, &history.Op{F: kafkacheck.FPoll, Process: 5, Client: "c0"}); body != `{"offsets":{"1":7,"3":2}}` {
		t.Errorf("after re-assign %s", body)
	}
	// After an indefinite outcome the client is a new process: it starts
	// afresh, like a crashed Maelstrom client.
	fresh := &history.Op{F: kafkacheck.FPoll, Process: 9, Client: "c0"}
	if _, body := request(t, w, fresh); body != `{"offsets":{}}` {
		t.Errorf("new process polls %s", body)
	}
	if _, ok := w.procs[5]; ok {
		t.Error("old process state kept")
	}
	// Final polls carry their own offsets.
	final := &history.Op{F: kafkacheck.FPoll, Final: true, Value: map[string]int64{"1": 0}, Process: 9, Client: "c0"}
	if _, body := request(t, w, final); body != `{"offsets":{"1":0}}` {
		t.Errorf("final poll %s", body)
	}
	if err := w.Complete(final, raw("poll_ok", `{"msgs":{"1":[[0,1]]}}`)); err != nil {
		t.Fatal(err)
	}
	if _, body := request(t, w, &history.Op{F: kafkacheck.FPoll, Process: 9, Client: "c0"}); body != `{"offsets":{}}` {
		t.Errorf("a final poll moved the client: %s", body)
	}
	send := &history.Op{F: kafkacheck.FSend, Key: "4", Value: 1}
	if typ, body := request(t, w, send); typ != "send" || body != `{"key":"4","msg":1}` {
		t.Errorf("send %s %s", typ, body)
	}
	if err := w.Complete(send, raw("send_ok", `{"offset":9007199254740993}`)); err != nil || send.Result != int64(9007199254740993) {
		t.Errorf("send_ok: %v %#v", err, send.Result)
	}
}

// A key's list of messages is a sequence in Maelstrom's schema, which
// accepts null (a Go nil slice) as empty.
func TestPollAcceptsNullListAsEmpty(t *testing.T) {
	w := New(DefaultConfig())
	op := &history.Op{F: kafkacheck.FPoll, Client: "c0", Value: map[string]int64{"1": 0}, Final: true}
	if err := w.Complete(op, raw("poll_ok", `{"msgs":{"1":null,"2":[[0,5]]}}`)); err != nil {
		t.Fatalf("poll_ok with a null list rejected: %v", err)
	}
	msgs, ok := kafkacheck.Msgs(op.Result)
	if !ok || len(msgs["1"]) != 0 || len(msgs["2"]) != 1 {
		t.Fatalf("result %#v", op.Result)
	}
}

func TestCompleteRejectsMalformedReplies(t *testing.T) {
	w := New(DefaultConfig())
	for _, c := range []struct {
		f string
		m maelstrom.Msg
	}{
		{kafkacheck.FSend, raw("poll_ok", `{"offset":1}`)},
		{kafkacheck.FSend, raw("send_ok", `{}`)},
		{kafkacheck.FSend, raw("send_ok", `{"offset":1.5}`)},
		{kafkacheck.FSend, raw("send_ok", `{"offset":"1"}`)},
		{kafkacheck.FPoll, raw("poll_ok", `{}`)},
		{kafkacheck.FPoll, raw("poll_ok", `{"msgs":[]}`)},
		{kafkacheck.FPoll, raw("poll_ok", `{"msgs":{"1":[[1]]}}`)},
		{kafkacheck.FPoll, raw("poll_ok", `{"msgs":{"1":[["1",2]]}}`)},
		{kafkacheck.FPoll, raw("poll_ok", `{"msgs":{"1":[[1.5,2]]}}`)},
		{kafkacheck.FPoll, raw("poll_ok", `{"msgs":{"1":5}}`)},
		{kafkacheck.FCommit, raw("commit_ok", `{}`)},
		{kafkacheck.FAssign, raw("list_committed_offsets_ok", `{}`)},
		{kafkacheck.FAssign, raw("list_committed_offsets_ok", `{"offsets":{"1":"x"}}`)},
		{kafkacheck.FAssign, raw("list_committed_offsets_ok", `{"offsets":[1]}`)},
		// Maelstrom's schema has maps here ({Key [OffsetMessage]} and
		// {Key Offset}), which do not accept null (a Go nil map).
		{kafkacheck.FPoll, raw("poll_ok", `{"msgs":null}`)},
		{kafkacheck.FAssign, raw("list_committed_offsets_ok", `{"offsets":null}`)},
		{kafkacheck.FPoll, raw("poll_ok", `{"msgs":{"1":[null]}}`)},
	} {
		op := &history.Op{F: c.f, Key: "1", Value: []string{"1"}, Client: "c0"}
		if err := w.Complete(op, c.m); err == nil {
			t.Errorf("%s accepted %s %s", c.f, c.m.Type, c.m.Raw)
		}
	}
}

func TestFollowFinal(t *testing.T) {
	w := New(DefaultConfig())
	for i := range 6 {
		s := &history.Op{F: kafkacheck.FSend, Key: "1", Value: i + 1}
		if err := w.Complete(s, raw("send_ok", fmt.Sprintf(`{"offset":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	w.sentKeys["1"] = true
	w.sentKeys["2"] = true // sent to, never acknowledged
	// Key 1 from 0 and from each offset no poll has returned (1..5); key 2
	// from 0.
	fin := w.Final()
	var got []string
	for _, op := range fin {
		if op.F != kafkacheck.FPoll || !op.Final {
			t.Fatalf("final op %+v", op)
		}
		got = append(got, fmt.Sprint(op.Value))
	}
	if want := "[map[1:0] map[1:1] map[1:2] map[1:3] map[1:4] map[1:5] map[2:0]]"; fmt.Sprint(got) != want {
		t.Fatalf("final polls %v, want %v", got, want)
	}
	op := fin[0]
	op.Outcome = history.OK
	if err := w.Complete(op, raw("poll_ok", `{"msgs":{"1":[[0,1],[1,2],[2,3]]}}`)); err != nil {
		t.Fatal(err)
	}
	next := w.FollowFinal(op)
	if len(next) != 1 || !next[0].Final || fmt.Sprint(next[0].Value) != "map[1:3]" {
		t.Fatalf("after a partial poll: %v", next)
	}
	// No progress: retried, at most FinalPollRetries times.
	stuck := next[0]
	stuck.Outcome = history.OK
	if err := w.Complete(stuck, raw("poll_ok", `{"msgs":{}}`)); err != nil {
		t.Fatal(err)
	}
	for i := range DefaultConfig().FinalPollRetries {
		n := w.FollowFinal(stuck)
		if len(n) != 1 || fmt.Sprint(n[0].Value) != "map[1:3]" {
			t.Fatalf("retry %d: %v", i, n)
		}
	}
	if n := w.FollowFinal(stuck); n != nil {
		t.Errorf("retried forever: %v", n)
	}
	// Caught up: nothing more.
	done := &history.Op{F: kafkacheck.FPoll, Final: true, Value: map[string]int64{"1": 3}, Outcome: history.OK}
	if err := w.Complete(done, raw("poll_ok", `{"msgs":{"1":[[3,4],[4,5],[5,6]]}}`)); err != nil {
		t.Fatal(err)
	}
	if n := w.FollowFinal(done); n != nil {
		t.Errorf("after catching up: %v", n)
	}
	// A key with nothing known to exist needs no follow-up.
	k2 := fin[len(fin)-1]
	k2.Outcome = history.OK
	if err := w.Complete(k2, raw("poll_ok", `{"msgs":{}}`)); err != nil {
		t.Fatal(err)
	}
	if n := w.FollowFinal(k2); n != nil {
		t.Errorf("key 2: %v", n)
	}
	// Everything has been polled now: the final phase would start from 0
	// only.
	fin = w.Final()
	if len(fin) != 2 || fmt.Sprint(fin[0].Value) != "map[1:0]" || fmt.Sprint(fin[1].Value) != "map[2:0]" {
		t.Errorf("final after polling everything: %v %v", fin[0].Value, fin[len(fin)-1].Value)
	}
}

// fakeKafka is a single-copy log server with knobs for bugs.
type fakeKafka struct {
	logs      map[string][]kafkacheck.Pair
	committed map[string]int64
	limit     int                              // most messages per key per poll; 0 for all
	hide      func(key string, off int64) bool // messages polls never return
}

func (f *fakeKafka) handle(t *testing.T, typ, body string) maelstrom.Msg {
	var req struct {
		Key     string           `json:"key"`
		Msg     any              `json:"msg"`
		Offsets map[string]int64 `json:"offsets"`
		Keys    []string         `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	reply := func(typ string, v any) maelstrom.Msg {
		b, _ := json.Marshal(v)
		return raw(typ, string(b))
	}
	switch typ {
	case "send":
		off := int64(len(f.logs[req.Key]) * 2) // sparse offsets
		f.logs[req.Key] = append(f.logs[req.Key], kafkacheck.Pair{Offset: off, Msg: req.Msg})
		return reply("send_ok", map[string]any{"offset": off})
	case "poll":
		msgs := map[string][]kafkacheck.Pair{}
		for k, from := range req.Offsets {
			for _, p := range f.logs[k] {
				if p.Offset < from || (f.hide != nil && f.hide(k, p.Offset)) {
					continue
				}
				if f.limit > 0 && len(msgs[k]) == f.limit {
					break
				}
				msgs[k] = append(msgs[k], p)
			}
		}
		return reply("poll_ok", map[string]any{"msgs": msgs})
	case "commit_offsets":
		for k, o := range req.Offsets {
			f.committed[k] = max(f.committed[k], o)
		}
		return reply("commit_offsets_ok", map[string]any{})
	case "list_committed_offsets":
		out := map[string]int64{}
		for _, k := range req.Keys {
			if o, ok := f.committed[k]; ok {
				out[k] = o
			}
		}
		return reply("list_committed_offsets_ok", map[string]any{"offsets": out})
	}
	t.Fatalf("unexpected request %s", typ)
	return maelstrom.Msg{}
}

// run drives the workload against the fake server the way the driver does:
// four clients, round robin, one op each at a time; every 37th op times out
// (it still reaches the server) and its client becomes a new process. The
// final phase runs Final and, when follow is set, FollowFinal.
func run(t *testing.T, f *fakeKafka, follow bool) history.History {
	t.Helper()
	w := New(DefaultConfig())
	rng := rand.New(rand.NewPCG(21, 22))
	procs := []int{0, 1, 2, 3}
	nextProc := 4
	var h history.History
	now := int64(0)
	invoke := func(op *history.Op, c int) {
		now += 10
		op.Client, op.Process, op.Invoke, op.Index = fmt.Sprintf("c%d", c), procs[c], now, len(h)
		typ, body := request(t, w, op)
		resp := f.handle(t, typ, body)
		op.Complete = now + 5
		if len(h)%37 == 36 && !op.Final {
			op.Outcome = history.Info
			procs[c] = nextProc
			nextProc++
		} else {
			if err := w.Complete(op, resp); err != nil {
				t.Fatal(err)
			}
			op.Outcome = history.OK
		}
		h = append(h, op)
	}
	for i := range 1500 {
		invoke(w.Generate(rng), i%4)
	}
	queue := w.Final()
	for i := 0; len(queue) > 0; i++ {
		op := queue[0]
		queue = queue[1:]
		invoke(op, i%4)
		if follow {
			queue = append(queue, w.FollowFinal(op)...)
		}
	}
	return h
}

func check(h history.History) checkers.Result { return Checkers(DefaultConfig())[0].Check(h) }

func TestAgainstFakeServer(t *testing.T) {
	newFake := func() *fakeKafka {
		return &fakeKafka{logs: map[string][]kafkacheck.Pair{}, committed: map[string]int64{}}
	}
	t.Run("correct", func(t *testing.T) {
		h := run(t, newFake(), true)
		res := check(h)
		if res.Valid != checkers.Valid {
			t.Fatalf("%s %s", res.Valid, res.Summary)
		}
		// The run exercised what it should.
		fs := map[string]int{}
		for _, op := range h {
			if op.Outcome == history.OK {
				fs[op.F]++
			}
		}
		if fs[kafkacheck.FAssign] < 20 || fs[kafkacheck.FCommit] < 100 || fs[kafkacheck.FPoll] < 200 {
			t.Errorf("ops %v", fs)
		}
	})
	t.Run("polls return two messages at a time", func(t *testing.T) {
		f := newFake()
		f.limit = 2
		if res := check(run(t, f, true)); res.Valid != checkers.Valid {
			t.Fatalf("with FollowFinal: %s %s", res.Valid, res.Summary)
		}
		// Without FollowFinal, Final's polls from every unpolled offset
		// still cover everything.
		f = newFake()
		f.limit = 2
		if res := check(run(t, f, false)); res.Valid != checkers.Valid {
			t.Errorf("without FollowFinal: %s %s", res.Valid, res.Summary)
		}
		// With one message per poll and no final phase at all, some
		// acknowledged messages go unseen: the test above is not vacuous.
		f = newFake()
		f.limit = 1
		h := run(t, f, false)
		var main history.History
		for _, op := range h {
			if !op.Final {
				main = append(main, op)
			}
		}
		if res := check(main); res.Valid != checkers.Invalid || !strings.Contains(res.Summary, "unseen") {
			t.Errorf("main phase alone: %s %s", res.Valid, res.Summary)
		}
	})
	t.Run("a message polls never return", func(t *testing.T) {
		f := newFake()
		f.hide = func(k string, off int64) bool { return k == "9" && off == 2 }
		res := check(run(t, f, true))
		if res.Valid != checkers.Invalid {
			t.Fatalf("%s %s", res.Valid, res.Summary)
		}
		ev := res.Evidence.(*kafkacheck.Evidence)
		if ev.Counts["lost-write"] == 0 || ev.Unseen["9"].Count != 1 || ev.Unseen["9"].Messages[0] != 2 {
			t.Errorf("%s; unseen %v", res.Summary, ev.Unseen)
		}
	})
}
