package linearizable

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"pgregory.net/rapid"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// The verdict and its evidence do not depend on how many keys are checked
// at once.
func TestPropertyWorkersDoNotChangeTheVerdict(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawSimulation(t)
		if rapid.Bool().Draw(t, "corrupt") {
			for _, op := range h {
				if op.F == "read" && op.Outcome == history.OK {
					op.Result, op.Error = neverWritten, nil
					break
				}
			}
		}
		one := New(Options{Timeout: 10 * time.Second, Workers: 1}).Check(h)
		many := New(Options{Timeout: 10 * time.Second, Workers: 4}).Check(h)
		if one.Valid != many.Valid || one.Summary != many.Summary {
			t.Fatalf("1 worker: %s %q; 4 workers: %s %q", one.Valid, one.Summary, many.Valid, many.Summary)
		}
	})
}

// A key whose search blows up is set aside after its share of the budget,
// so a violation on a key queued behind it is still found, even with one
// worker.
func TestHardKeyDoesNotStarveTheOthers(t *testing.T) {
	ops := hardButValid("1")
	for k := 2; k <= 20; k++ {
		key := strconv.Itoa(k)
		ops = append(ops, write(0, key, k, 1000, 1001), read(1, key, k, 1002, 1003))
	}
	ops[len(ops)-1].Result = 99 // key 20's read returns a value never written
	r := New(Options{Timeout: 800 * time.Millisecond, Workers: 1}).Check(hist(ops...))
	if r.Valid != checkers.Invalid {
		t.Fatalf("verdict %s, want invalid: %s", r.Valid, r.Summary)
	}
	if v := r.Evidence.(Violation); v.Key != "20" {
		t.Errorf("evidence names key %s, want 20", v.Key)
	}
}

// A timeout names the keys it could not finish, the largest first.
func TestTimeoutNamesTheUncheckedKey(t *testing.T) {
	ops := hardButValid("7")
	ops = append(ops, write(0, "8", 1, 1000, 1001), read(1, "8", 1, 1002, 1003))
	r := New(Options{Timeout: 100 * time.Millisecond}).Check(hist(ops...))
	if r.Valid != checkers.Unknown {
		t.Fatalf("verdict %s, want unknown: %s", r.Valid, r.Summary)
	}
	ev := r.Evidence.(TimedOut)
	if ev.UncheckedKeys != 1 || len(ev.Unchecked) != 1 || ev.Unchecked[0] != (UncheckedKey{Key: "7", Ops: 31}) {
		t.Errorf("evidence %+v, want key 7 (31 ops) alone unchecked", ev)
	}
	if !strings.Contains(r.Summary, "key 7 (31 ops) was not checked in time") {
		t.Errorf("summary %q does not name the slow key", r.Summary)
	}
}

// While a check runs long, progress reports say how many keys are done and
// which key is being checked.
func TestProgressNamesTheSlowKey(t *testing.T) {
	ops := hardButValid("5")
	ops = append(ops, write(0, "6", 1, 1000, 1001))
	var mu sync.Mutex
	var reports []checkers.Progress
	New(Options{Timeout: time.Second, ProgressEvery: time.Millisecond, Progress: func(p checkers.Progress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
	}}).Check(hist(ops...))
	mu.Lock()
	defer mu.Unlock()
	if len(reports) == 0 {
		t.Fatal("a check that runs until its timeout made no progress report")
	}
	named := false
	for _, p := range reports {
		if p.Total != 2 || p.Unit != "keys" || p.Done > 1 {
			t.Fatalf("report %+v: want 2 keys in all, at most key 6 done", p)
		}
		named = named || p.Slow == "key 5, 31 ops"
	}
	if !named {
		t.Errorf("no report named the slow key: %+v", reports)
	}
}

// Dropping the indefinite operations nobody can have seen never changes a
// key's verdict: on simulated histories, valid ones and ones with an
// operation's outcome corrupted, Porcupine agrees with and without them.
func TestPropertyPruningKeepsTheVerdict(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawSimulation(t)
		var oks []*history.Op
		for _, op := range h {
			if op.Outcome == history.OK && op.F != "write" {
				oks = append(oks, op)
			}
		}
		if len(oks) > 0 && rapid.Bool().Draw(t, "corrupt") {
			bad := rapid.SampledFrom(oks).Draw(t, "op")
			switch {
			case bad.F == "read":
				bad.Result, bad.Error = rapid.IntRange(0, 4).Draw(t, "result"), nil
			case bad.Error != nil && bad.Error.Code == maelstrom.PreconditionFailed:
				bad.Error = nil // a refused cas now claims it applied
			default:
				bad.Error = &history.Error{Code: maelstrom.PreconditionFailed} // and the other way
			}
		}
		ops, err := Operations(h)
		if err != nil {
			t.Fatal(err)
		}
		model := RegisterModel()
		for _, part := range partitionByKey(ops) {
			pruned := pruneUnobserved(slices.Clone(part))
			full := porcupine.CheckOperations(model, part)
			if got := len(pruned) == 0 || porcupine.CheckOperations(model, pruned); got != full {
				t.Fatalf("key %s: linearizable %v with every op, %v after pruning %d of %d\n%s",
					part[0].Input.(Call).Key, full, got, len(part)-len(pruned), len(part), dump(h))
			}
		}
	})
}
