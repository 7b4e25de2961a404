package linearizable

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// Builders for register operations: process, key, arguments, invocation and
// completion time. They return ok operations; info and fail change that.

func write(p int, key string, v int, invoke, complete int64) *history.Op {
	return &history.Op{Process: p, F: "write", Key: key, Value: v, Outcome: history.OK, Invoke: invoke, Complete: complete}
}

func read(p int, key string, v int, invoke, complete int64) *history.Op {
	return &history.Op{Process: p, F: "read", Key: key, Result: v, Outcome: history.OK, Invoke: invoke, Complete: complete}
}

func readAbsent(p int, key string, invoke, complete int64) *history.Op {
	return withError(&history.Op{Process: p, F: "read", Key: key, Outcome: history.OK, Invoke: invoke, Complete: complete}, maelstrom.KeyDoesNotExist)
}

func cas(p int, key string, from, to int, invoke, complete int64) *history.Op {
	return &history.Op{Process: p, F: "cas", Key: key, Value: [2]int{from, to}, Outcome: history.OK, Invoke: invoke, Complete: complete}
}

func withError(op *history.Op, code int) *history.Op {
	op.Error = &history.Error{Code: code}
	return op
}

func info(op *history.Op) *history.Op {
	op.Outcome, op.Result = history.Info, nil
	return withError(op, 0)
}

func fail(op *history.Op) *history.Op {
	op.Outcome, op.Result = history.Fail, nil
	return withError(op, 11)
}

// hist numbers operations in the order given, as a recorder would.
func hist(ops ...*history.Op) history.History {
	for i, op := range ops {
		op.Index = i
	}
	return ops
}

// check runs the checker as the lead would, with a generous timeout.
func check(t interface {
	Helper()
	Errorf(string, ...any)
}, h history.History) checkers.Result {
	t.Helper()
	r := New(Options{Timeout: 10 * time.Second}).Check(h)
	if r.Checker != "linearizable" {
		t.Errorf("Checker = %q, want linearizable", r.Checker)
	}
	return r
}

func TestAccepts(t *testing.T) {
	cases := []struct {
		name string
		h    history.History
	}{
		{"empty", hist()},
		{"sequential", hist(
			readAbsent(0, "1", 0, 1),
			write(0, "1", 5, 2, 3),
			read(1, "1", 5, 4, 5),
			cas(1, "1", 5, 6, 6, 7),
			read(0, "1", 6, 8, 9),
		)},
		{"concurrent writes, reads see the later-linearized first", hist(
			write(0, "1", 1, 0, 10),
			write(1, "1", 2, 1, 11),
			read(2, "1", 1, 12, 13),
		)},
		{"concurrent writes, reads see the other order", hist(
			write(0, "1", 1, 0, 10),
			write(1, "1", 2, 1, 11),
			read(2, "1", 2, 12, 13),
		)},
		{"read overlapping a write sees the old value", hist(
			write(0, "1", 1, 0, 1),
			write(1, "1", 2, 2, 10),
			read(2, "1", 1, 3, 4),
		)},
		{"read overlapping a write sees the new value", hist(
			write(0, "1", 1, 0, 1),
			write(1, "1", 2, 2, 10),
			read(2, "1", 2, 3, 4),
		)},
		{"closed intervals: touching ops are concurrent", hist(
			write(0, "1", 1, 0, 5),
			read(1, "1", 1, 5, 6),
		)},
		{"info write later seen by reads", hist(
			write(0, "1", 1, 0, 1),
			info(write(1, "1", 2, 2, 3)),
			read(2, "1", 1, 4, 5),
			read(2, "1", 2, 10, 11),
			read(3, "1", 2, 12, 13),
		)},
		{"info write never seen", hist(
			write(0, "1", 1, 0, 1),
			info(write(1, "1", 2, 2, 3)),
			read(2, "1", 1, 4, 5),
			read(2, "1", 1, 100, 101),
		)},
		{"info cas applied later", hist(
			write(0, "1", 1, 0, 1),
			info(cas(1, "1", 1, 7, 2, 3)),
			read(2, "1", 1, 4, 5),
			read(2, "1", 7, 6, 7),
		)},
		{"info cas never applied", hist(
			write(0, "1", 1, 0, 1),
			info(cas(1, "1", 1, 7, 2, 3)),
			read(2, "1", 1, 4, 5),
		)},
		{"info read dropped even with garbage", hist(
			write(0, "1", 1, 0, 1),
			&history.Op{Process: 1, F: "read", Key: "1", Result: "??", Outcome: history.Info, Invoke: 2, Complete: 3},
		)},
		{"absent keys read with 20", hist(
			readAbsent(0, "1", 0, 1),
			withError(cas(0, "1", 1, 2, 2, 3), maelstrom.KeyDoesNotExist),
			readAbsent(1, "2", 4, 5),
		)},
		{"cas mismatch with 22", hist(
			write(0, "1", 1, 0, 1),
			withError(cas(0, "1", 3, 4, 2, 3), maelstrom.PreconditionFailed),
			read(0, "1", 1, 4, 5),
		)},
		{"fail ops ignored", hist(
			write(0, "1", 1, 0, 1),
			fail(write(1, "1", 2, 2, 3)),
			fail(cas(1, "1", 1, 9, 4, 5)),
			fail(read(1, "1", 5, 6, 7)),
			read(0, "1", 1, 8, 9),
		)},
		{"keys independent", hist(
			write(0, "1", 1, 0, 10),
			write(1, "2", 2, 0, 10),
			read(0, "1", 1, 11, 12),
			read(1, "2", 2, 11, 12),
			readAbsent(2, "3", 11, 12),
		)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := check(t, tc.h)
			if r.Valid != checkers.Valid {
				t.Fatalf("verdict %s, want valid: %s", r.Valid, r.Summary)
			}
			if r.Files != nil {
				t.Errorf("files on a valid history: %v", len(r.Files))
			}
		})
	}
}

func TestRejects(t *testing.T) {
	cases := []struct {
		name    string
		h       history.History
		wantKey string
	}{
		{"stale read after a completed write", hist(
			write(0, "1", 1, 0, 1),
			write(0, "1", 2, 2, 3),
			read(1, "1", 1, 4, 5),
		), "1"},
		{"read of a value never written", hist(
			write(0, "1", 1, 0, 1),
			read(1, "1", 9, 2, 3),
		), "1"},
		{"lost write", hist(
			write(0, "1", 1, 0, 1),
			read(1, "1", 1, 2, 3),
			write(0, "1", 2, 4, 5),
			read(1, "1", 1, 6, 7),
		), "1"},
		{"ok cas, then its from is read", hist(
			write(0, "1", 1, 0, 1),
			cas(0, "1", 1, 2, 2, 3),
			read(1, "1", 1, 4, 5),
		), "1"},
		{"absent after a completed write", hist(
			write(0, "1", 1, 0, 1),
			readAbsent(1, "1", 2, 3),
		), "1"},
		{"reads go backwards", hist(
			write(0, "1", 1, 0, 1),
			write(0, "1", 2, 2, 20),
			read(1, "1", 2, 3, 4),
			read(2, "1", 1, 5, 6),
		), "1"},
		{"cas 22 while holding its from", hist(
			write(0, "1", 1, 0, 1),
			withError(cas(0, "1", 1, 2, 2, 3), maelstrom.PreconditionFailed),
		), "1"},
		{"cas 20 on a present key", hist(
			write(0, "1", 1, 0, 1),
			withError(cas(0, "1", 5, 2, 2, 3), maelstrom.KeyDoesNotExist),
		), "1"},
		{"info cas cannot explain a read", hist(
			write(0, "1", 1, 0, 1),
			info(cas(1, "1", 3, 7, 2, 3)), // from 3 never held
			read(2, "1", 7, 4, 5),
		), "1"},
		{"fail write seen", hist(
			write(0, "1", 1, 0, 1),
			fail(write(1, "1", 2, 2, 3)),
			read(0, "1", 2, 4, 5),
		), "1"},
		{"smallest failing key named", hist(
			// key 2 fails with 4 ops, key 7 with 2.
			write(0, "2", 1, 0, 1), write(0, "2", 2, 2, 3), read(1, "2", 1, 4, 5), read(1, "2", 2, 6, 7),
			write(0, "7", 1, 0, 1), read(1, "7", 3, 2, 3),
		), "7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := check(t, tc.h)
			if r.Valid != checkers.Invalid {
				t.Fatalf("verdict %s, want invalid: %s", r.Valid, r.Summary)
			}
			v, ok := r.Evidence.(Violation)
			if !ok {
				t.Fatalf("evidence is %T, want Violation", r.Evidence)
			}
			if v.Key != tc.wantKey {
				t.Errorf("evidence key %q, want %q", v.Key, tc.wantKey)
			}
			if len(v.NotLinearized) == 0 {
				t.Errorf("evidence lists no operations it could not linearize: %+v", v)
			}
			if !strings.Contains(r.Summary, "not linearizable: key "+tc.wantKey) {
				t.Errorf("summary %q does not name key %s", r.Summary, tc.wantKey)
			}
		})
	}
}

// One bad key among many clean ones: the evidence names it, counts its
// operations and shows the read that cannot be placed.
func TestViolationAmongCleanKeys(t *testing.T) {
	var ops []*history.Op
	for k := range 50 {
		key := strconv.Itoa(k)
		ops = append(ops,
			write(0, key, k, int64(10*k), int64(10*k+1)),
			read(1, key, k, int64(10*k+2), int64(10*k+3)),
			cas(2, key, k, k+1, int64(10*k+4), int64(10*k+5)),
			read(1, key, k+1, int64(10*k+6), int64(10*k+7)))
	}
	stale := read(3, "31", 31, 1000, 1001) // key 31 holds 32 by now
	ops = append(ops, stale)
	r := check(t, hist(ops...))

	if r.Valid != checkers.Invalid {
		t.Fatalf("verdict %s, want invalid: %s", r.Valid, r.Summary)
	}
	v := r.Evidence.(Violation)
	if v.Key != "31" || v.KeyOps != 5 {
		t.Fatalf("evidence names key %q with %d ops, want key 31 with 5", v.Key, v.KeyOps)
	}
	if v.Linearized != 4 || v.StateAfter != "32" {
		t.Errorf("longest partial linearization: %d ops ending at %s, want 4 ending at 32", v.Linearized, v.StateAfter)
	}
	want := EvidenceOp{Index: stale.Index, Process: 3, F: "read", Result: 31, Type: history.OK, Invoke: 1000, Complete: 1001}
	if len(v.NotLinearized) != 1 || v.NotLinearized[0] != want {
		t.Errorf("not linearized = %+v, want [%+v]", v.NotLinearized, want)
	}
	if last := v.LastLinearized[len(v.LastLinearized)-1]; last.F != "read" || last.Result != 32 {
		t.Errorf("last linearized op %+v, want the read of 32", last)
	}
	if r.Summary != "not linearizable: key 31, 5 ops; see linearizability.html" {
		t.Errorf("summary %q", r.Summary)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("result does not encode: %v", err)
	}
}

func TestEvidenceIsBounded(t *testing.T) {
	var ops []*history.Op
	for i := range 100 {
		ops = append(ops, write(0, "1", i, int64(2*i), int64(2*i+1)))
	}
	ops = append(ops, read(1, "1", 5, 500, 501)) // long overwritten
	for i := range 100 {
		ops = append(ops, write(0, "1", i, int64(1000+2*i), int64(1000+2*i+1)))
	}
	r := check(t, hist(ops...))
	v := r.Evidence.(Violation)
	if len(v.LastLinearized) > maxLastLinearized || len(v.NotLinearized) > maxNotLinearized {
		t.Errorf("evidence lists %d + %d ops", len(v.LastLinearized), len(v.NotLinearized))
	}
	if v.Linearized != 100 || v.Omitted != 101-maxNotLinearized {
		t.Errorf("linearized %d, omitted %d; want 100 and %d", v.Linearized, v.Omitted, 101-maxNotLinearized)
	}
	if first := v.NotLinearized[0]; first.F != "read" || first.Result != 5 {
		t.Errorf("first op not linearized is %+v, want the stale read", first)
	}
}

func TestVisualizationOnViolation(t *testing.T) {
	r := check(t, hist(
		write(0, "1", 1, 0, 1),
		read(1, "1", 9, 2, 3),
		write(0, "2", 1, 0, 1),
	))
	html := r.Files[VisualizationFile]
	if !bytes.Contains(html, []byte("<html")) {
		t.Fatalf("no HTML visualization in %d files", len(r.Files))
	}
	for _, want := range []string{"read() → 9", "write(1) → ok", "history index 1, process 1"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("visualization lacks %q", want)
		}
	}
}

// A timeout must make the verdict unknown, never valid.
func TestTimeoutIsUnknown(t *testing.T) {
	h := hist(hardButValid("1")...)

	// The history is valid: only the timeout can make the verdict unknown.
	for _, timeout := range []time.Duration{time.Nanosecond, 50 * time.Millisecond} {
		r := New(Options{Timeout: timeout}).Check(h)
		if r.Valid != checkers.Unknown {
			t.Fatalf("timeout %s: verdict %s, want unknown: %s", timeout, r.Valid, r.Summary)
		}
		if ev, ok := r.Evidence.(TimedOut); !ok || ev.Ops != 31 || ev.Keys != 1 {
			t.Errorf("timeout %s: evidence %#v", timeout, r.Evidence)
		}
		if !strings.Contains(r.Summary, "timed out after "+timeout.String()) {
			t.Errorf("summary %q does not give the timeout", r.Summary)
		}
	}
}

// hardButValid is 30 concurrent writes and then a read of the one Porcupine
// tries first: linearizable (that write goes last), but finding so takes
// exponential time.
func hardButValid(key string) []*history.Op {
	var ops []*history.Op
	for i := range 30 {
		ops = append(ops, write(i, key, i, int64(i), int64(100+i)))
	}
	return append(ops, read(30, key, 0, 200, 201))
}

// A violation found before the deadline beats the timeout on another key;
// the key interrupted by the deadline, though it has fewer operations, is
// not named as failing.
func TestViolationFoundDespiteTimeout(t *testing.T) {
	ops := hardButValid("1")
	for i := range 20 {
		ops = append(ops, write(0, "2", i, int64(1000+4*i), int64(1001+4*i)), read(1, "2", i, int64(1002+4*i), int64(1003+4*i)))
	}
	ops[len(ops)-1].Result = 99 // the last read on key 2 returns a value never written
	r := New(Options{Timeout: 100 * time.Millisecond}).Check(hist(ops...))
	if r.Valid != checkers.Invalid {
		t.Fatalf("verdict %s, want invalid: %s", r.Valid, r.Summary)
	}
	if v := r.Evidence.(Violation); v.Key != "2" || v.KeyOps != 40 {
		t.Errorf("evidence names key %s with %d ops, want key 2 with 40", v.Key, v.KeyOps)
	}
}

func TestZeroTimeoutMeansNoLimit(t *testing.T) {
	r := New(Options{}).Check(hist(write(0, "1", 1, 0, 1), read(0, "1", 1, 2, 3)))
	if r.Valid != checkers.Valid {
		t.Fatalf("verdict %s: %s", r.Valid, r.Summary)
	}
	if r.Summary != "linearizable: 2 ops on 1 keys" {
		t.Errorf("summary %q", r.Summary)
	}
}

// Malformed operations make the verdict unknown with an error naming the
// operation; they never panic and never pass.
func TestMalformedIsUnknown(t *testing.T) {
	cases := []struct {
		name   string
		op     *history.Op
		reason string
	}{
		{"fractional write", &history.Op{F: "write", Key: "1", Value: 1.5, Outcome: history.OK}, "not an integer"},
		{"string write", &history.Op{F: "write", Key: "1", Value: "x", Outcome: history.OK}, "not an integer"},
		{"missing write value", &history.Op{F: "write", Key: "1", Outcome: history.Info}, "missing"},
		{"cas of three", &history.Op{F: "cas", Key: "1", Value: []int{1, 2, 3}, Outcome: history.OK}, "[from, to]"},
		{"cas of a scalar", &history.Op{F: "cas", Key: "1", Value: 4, Outcome: history.OK}, "[from, to]"},
		{"cas of strings", &history.Op{F: "cas", Key: "1", Value: []any{"a", 2}, Outcome: history.OK}, "from:"},
		{"unknown f", &history.Op{F: "append", Key: "1", Outcome: history.OK}, "not a register operation"},
		{"ok read without result", &history.Op{F: "read", Key: "1", Outcome: history.OK}, "without a result"},
		{"ok write with an error", withError(&history.Op{F: "write", Key: "1", Value: 1, Outcome: history.OK}, 20), "error 20"},
		{"ok read with error 22", withError(&history.Op{F: "read", Key: "1", Outcome: history.OK}, 22), "error 22"},
		{"completes before invoked", &history.Op{F: "write", Key: "1", Value: 1, Outcome: history.OK, Invoke: 5, Complete: 4}, "before its invocation"},
		{"unknown outcome", &history.Op{F: "write", Key: "1", Value: 1, Outcome: "maybe"}, "unknown outcome"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := check(t, hist(write(0, "1", 1, 0, 1), tc.op))
			if r.Valid != checkers.Unknown {
				t.Fatalf("verdict %s, want unknown: %s", r.Valid, r.Summary)
			}
			var opErr *OpError
			if err, ok := r.Evidence.(error); !ok || !errors.As(err, &opErr) || opErr.Index != 1 {
				t.Fatalf("evidence %#v, want *OpError for index 1", r.Evidence)
			}
			if !strings.Contains(r.Summary, tc.reason) || !strings.Contains(r.Summary, "history index 1") {
				t.Errorf("summary %q lacks %q or the op's index", r.Summary, tc.reason)
			}
		})
	}
}

// Histories reloaded from history.jsonl carry json.Numbers and []any; the
// verdict must not change.
func TestJSONRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		h    history.History
		want checkers.Validity
	}{
		{hist(write(0, "1", 1, 0, 1), cas(0, "1", 1, 2, 2, 3), read(1, "1", 2, 4, 5), readAbsent(1, "2", 6, 7)), checkers.Valid},
		{hist(write(0, "1", 1, 0, 1), cas(0, "1", 1, 2, 2, 3), read(1, "1", 1, 4, 5)), checkers.Invalid},
	} {
		var buf bytes.Buffer
		if err := tc.h.WriteJSONL(&buf); err != nil {
			t.Fatal(err)
		}
		reloaded, err := history.ReadJSONL(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, isNumber := reloaded[0].Value.(json.Number); !isNumber {
			t.Fatalf("reloaded value is %T; the test needs json.Number", reloaded[0].Value)
		}
		if got := check(t, reloaded).Valid; got != tc.want {
			t.Errorf("reloaded verdict %s, want %s", got, tc.want)
		}
	}
}

func TestValueForms(t *testing.T) {
	ints := []any{7, int64(7), int32(7), uint8(7), float64(7), json.Number("7"), json.Number("7.0")}
	for _, v := range ints {
		if got, err := toInt(v); err != nil || got != 7 {
			t.Errorf("toInt(%#v) = %d, %v", v, got, err)
		}
	}
	for _, v := range []any{nil, 7.5, float64(1 << 60), "7", json.Number("x"), []int{7}, true} {
		if got, err := toInt(v); err == nil {
			t.Errorf("toInt(%#v) = %d, want an error", v, got)
		}
	}
	pairs := []any{[2]int{1, 2}, []int{1, 2}, []any{1.0, 2.0}, [2]any{json.Number("1"), int64(2)}, []float64{1, 2}}
	for _, v := range pairs {
		if from, to, err := toPair(v); err != nil || from != 1 || to != 2 {
			t.Errorf("toPair(%#v) = %d, %d, %v", v, from, to, err)
		}
	}
}
