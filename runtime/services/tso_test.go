package services

import (
	"fmt"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

func TestTSOCountsFromZero(t *testing.T) {
	h := newSimHarness(t, 1, "lin-tso", func() nodes.Node { return newTSO() }, "c0")
	for want := range 5 {
		if got := h.ask("c0", "ts", nil); got != fmt.Sprintf("ts_ok %d", want) {
			t.Fatalf("request %d: got %s", want, got)
		}
	}
	// Like Maelstrom's, it ignores what the body says.
	if got := h.ask("c0", "ts", map[string]any{"ts": 100}); got != "ts_ok 5" {
		t.Fatalf("ts with a body: got %s, want ts_ok 5", got)
	}
}

// Nodes calling lin-tso over links with random latency: every timestamp is
// unique, and one handed out after another completed is larger.
func TestTSOIsLinearizable(t *testing.T) {
	callers := []string{"n0", "n1", "n2", "n3"}
	h := newSimHarness(t, 5, "lin-tso", func() nodes.Node { return newTSO() }, callers...)
	type op struct {
		invoke, complete time.Duration
		ts               int
	}
	var ops []op
	var loop func(caller string)
	loop = func(caller string) {
		invoke := h.sim.Now()
		h.clients[caller].env.RPC("lin-tso", "ts", nil, rpcTimeout, func(m maelstrom.Msg, err error) {
			if err != nil {
				t.Errorf("%s: %v", caller, err)
				return
			}
			body, _ := maelstrom.Decode[TSOKBody](m)
			ops = append(ops, op{invoke, h.sim.Now(), body.TS})
			if len(ops) < 400 {
				loop(caller)
			}
		})
	}
	for _, c := range callers {
		h.sim.After(0, func() { loop(c) })
	}
	h.run(10 * time.Second)

	seen := map[int]bool{}
	for _, o := range ops {
		if seen[o.ts] {
			t.Fatalf("timestamp %d handed out twice", o.ts)
		}
		seen[o.ts] = true
	}
	// ops is in completion order: an op must exceed every op that completed
	// before it was invoked.
	overlapping := 0
	for i, b := range ops {
		for _, a := range ops[:i] {
			if a.complete < b.invoke && a.ts >= b.ts {
				t.Fatalf("ts %d invoked at %v after ts %d completed at %v", b.ts, b.invoke, a.ts, a.complete)
			}
			if a.complete >= b.invoke && a.ts > b.ts {
				overlapping++
			}
		}
	}
	// Otherwise the check above would be too easy to pass.
	if overlapping == 0 {
		t.Error("no concurrent requests were answered out of completion order; latency too regular for this test")
	}
}
