package elle

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
)

func drawGen(t *rapid.T, workload string) genConfig {
	return genConfig{
		workload:     workload,
		txns:         rapid.IntRange(1, 120).Draw(t, "txns"),
		concurrency:  rapid.IntRange(1, 6).Draw(t, "concurrency"),
		keyCount:     rapid.IntRange(1, 5).Draw(t, "keys"),
		maxTxnLen:    rapid.IntRange(1, 5).Draw(t, "maxTxnLen"),
		maxWritesKey: rapid.IntRange(1, 10).Draw(t, "maxWritesPerKey"),
		failRate:     rapid.Float64Range(0, 0.2).Draw(t, "failRate"),
		infoRate:     rapid.Float64Range(0, 0.2).Draw(t, "infoRate"),
		seed:         rapid.Uint64().Draw(t, "seed"),
	}
}

var propertyModels = [][]string{{"strict-serializable"}, {"serializable"}, {"snapshot-isolation", "repeatable-read"},
	{"strong-session-serializable"}, {"read-committed"}}

// acceptable: a history a correct store produced is valid, or unknown only
// because it had no dependency to judge.
func acceptable(t *rapid.T, h history.History, o Options) {
	r := Check(h, o)
	if r.Valid == checkers.Valid {
		return
	}
	ev := r.Evidence.(*Evidence)
	if r.Valid == checkers.Unknown && len(ev.AnomalyTypes) == 1 && ev.AnomalyTypes[0] == emptyGraph {
		return
	}
	t.Fatalf("%v on a correct history:\n%s", o.Models, describe(r))
}

// A serial executor (one transaction at a time, each applied at once),
// and a concurrent store that applies each transaction atomically between
// its invocation and completion (strict serializable), produce histories
// every model accepts.
func TestCorrectHistoriesAccepted(t *testing.T) {
	for _, serial := range []bool{true, false} {
		for _, w := range []string{ListAppend, RWRegister} {
			name := w + "/concurrent"
			if serial {
				name = w + "/serial"
			}
			t.Run(name, func(t *testing.T) {
				rapid.Check(t, func(t *rapid.T) {
					c := drawGen(t, w)
					c.serialExecutor = serial
					h := generate(c)
					for _, m := range propertyModels {
						acceptable(t, h, Options{Workload: w, Models: m})
					}
				})
			})
		}
	}
}

// A stale read injected into a serial history (a read that misses the
// last write before it) is caught under strict serializability: the
// reader rw-precedes the writer it missed, which precedes it in real time.
func TestInjectedStaleReadRejected(t *testing.T) {
	for _, w := range []string{ListAppend, RWRegister} {
		t.Run(w, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				c := drawGen(t, w)
				c.serialExecutor = true
				c.txns = rapid.IntRange(2, 120).Draw(t, "txns")
				h := generate(c)
				candidates := staleCandidates(h, w)
				if len(candidates) == 0 {
					t.Skip("no read to make stale")
				}
				pick := candidates[rapid.IntRange(0, len(candidates)-1).Draw(t, "victim")]
				res := h[pick[0]].Result.(txn.Txn)
				stale := append(txn.Txn(nil), res...)
				if w == ListAppend {
					l := stale[pick[1]].Value.([]int)
					stale[pick[1]].Value = l[:len(l)-1]
				} else {
					stale[pick[1]].Value = nil
				}
				h[pick[0]].Result = stale
				r := Check(h, Options{Workload: w})
				if r.Valid != checkers.Invalid {
					t.Fatalf("stale read of op %d micro-op %d not caught:\n%s", pick[0], pick[1], describe(r))
				}
			})
		})
	}
}

// staleCandidates are the external reads of ok transactions that observed
// a write by another ok transaction: [op, micro-op] pairs.
func staleCandidates(h history.History, w string) [][2]int {
	oks := map[[2]int]bool{} // (key, value) written by an ok transaction as its last write of the key
	for _, op := range h {
		if op.Outcome != history.OK {
			continue
		}
		for _, m := range op.Result.(txn.Txn) {
			if m.F != txn.Read {
				oks[[2]int{m.Key, m.Value.(int)}] = true
			}
		}
	}
	var out [][2]int
	for i, op := range h {
		if op.Outcome != history.OK {
			continue
		}
		t := op.Result.(txn.Txn)
		for j, m := range t {
			if m.F != txn.Read || touchedBefore(t, j) {
				continue
			}
			var last int
			switch v := m.Value.(type) {
			case []int:
				if len(v) == 0 {
					continue
				}
				last = v[len(v)-1]
			case int:
				last = v
			default:
				continue
			}
			if oks[[2]int{m.Key, last}] && !writes(t, m.Key, last) {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

func touchedBefore(t txn.Txn, j int) bool {
	for _, m := range t[:j] {
		if m.Key == t[j].Key {
			return true
		}
	}
	return false
}

func writes(t txn.Txn, k, v int) bool {
	for _, m := range t {
		if m.F != txn.Read && m.Key == k && m.Value == v {
			return true
		}
	}
	return false
}
