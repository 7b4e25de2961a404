package elle

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
)

// Elle's test notation (elle/test/elle/list_append_test.clj, op): "ax1"
// appends 1 to x, "rx12" reads x = [1 2], "rx" reads x = []. Keys x, y, z,
// t, u are 1..5 here.
var testKeys = map[byte]int{'x': 1, 'y': 2, 'z': 3, 't': 4, 'u': 5}

func la(s string) txn.Txn {
	var t txn.Txn
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 'a':
			t = append(t, txn.Mop{F: txn.Append, Key: testKeys[s[i+1]], Value: int(s[i+2] - '0')})
			i += 2
		case 'r':
			l := []int{}
			j := i + 2
			for ; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
				l = append(l, int(s[j]-'0'))
			}
			t = append(t, txn.Mop{F: txn.Read, Key: testKeys[s[i+1]], Value: l})
			i = j - 1
		default:
			panic(fmt.Sprintf("la(%q): unexpected %q", s, c))
		}
	}
	return t
}

// Elle's rw-register notation (rw_register_test.clj, op): "wx1" writes
// x = 1, "rx1" reads x = 1, "rx_" reads x = nil.
func rw(s string) txn.Txn {
	var t txn.Txn
	for i := 0; i < len(s); i += 3 {
		k := testKeys[s[i+1]]
		var v any
		if s[i+2] != '_' {
			v = int(s[i+2] - '0')
		}
		switch s[i] {
		case 'w':
			t = append(t, txn.Mop{F: txn.Write, Key: k, Value: v})
		case 'r':
			t = append(t, txn.Mop{F: txn.Read, Key: k, Value: v})
		default:
			panic(fmt.Sprintf("rw(%q): unexpected %q", s, s[i]))
		}
	}
	return t
}

// request blanks a transaction's reads, as a client sends it.
func request(t txn.Txn) txn.Txn {
	out := make(txn.Txn, len(t))
	for i, m := range t {
		if m.F == txn.Read {
			m.Value = nil
		}
		out[i] = m
	}
	return out
}

// top is one transaction of a test history: the completed transaction, its
// outcome, process and times (invoke < 0 means it was never seen invoked:
// Elle's tests often list completions alone, and nothing is then known to
// precede them in real time).
type top struct {
	t                txn.Txn
	outcome          history.Outcome
	process          int
	invoke, complete int64
}

// ok, info and fail make transactions; at sets their times.
func ok(p int, t txn.Txn) top   { return top{t: t, outcome: history.OK, process: p, invoke: -1} }
func info(p int, t txn.Txn) top { return top{t: t, outcome: history.Info, process: p, invoke: -1} }
func fail(p int, t txn.Txn) top { return top{t: t, outcome: history.Fail, process: p, invoke: -1} }

func (o top) at(invoke, complete int64) top { o.invoke, o.complete = invoke, complete; return o }

// hist lays the transactions out as a history in completion order. Those
// without times are concurrent with everything: invoked at 0, completed
// at the end.
func hist(ops ...top) history.History {
	end := int64(1000)
	var h history.History
	for i, o := range ops {
		inv, comp := o.invoke, o.complete
		if inv < 0 {
			inv, comp = 0, end+int64(i)
		}
		op := &history.Op{Process: o.process, F: "txn", Value: request(o.t), Outcome: o.outcome, Invoke: inv, Complete: comp}
		if o.outcome == history.OK {
			op.Result = o.t
		}
		h = append(h, op)
	}
	sort.SliceStable(h, func(i, j int) bool { return h[i].Complete < h[j].Complete })
	for i, op := range h {
		op.Index = i
	}
	return h
}

func evidence(t *testing.T, r checkers.Result) *Evidence {
	t.Helper()
	ev, ok := r.Evidence.(*Evidence)
	if !ok {
		t.Fatalf("no evidence: %+v", r)
	}
	return ev
}

func describe(r checkers.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", r.Valid, r.Summary)
	if ev, ok := r.Evidence.(*Evidence); ok {
		for _, t := range ev.AnomalyTypes {
			for _, c := range ev.Anomalies[t] {
				fmt.Fprintf(&b, "  %s: %s\n", t, c.Explanation)
			}
		}
		if ev.Error != "" {
			fmt.Fprintf(&b, "  error: %s\n", ev.Error)
		}
	}
	return b.String()
}

// txnOf builds a transaction from [f, k, v] triples.
func txnOf(_ string, ms [][3]any) txn.Txn {
	out := make(txn.Txn, len(ms))
	for i, m := range ms {
		out[i] = txn.Mop{F: m[0].(string), Key: m[1].(int), Value: m[2]}
	}
	return out
}
