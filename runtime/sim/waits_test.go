package sim

import (
	"reflect"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// waiter reports wait-for edges when its timers fire.
type waiter struct{ env nodes.Env }

func (w *waiter) Init(env nodes.Env) {
	w.env = env
	env.SetTimer(time.Millisecond, func() { env.WaitsFor("T1", []string{"T2", "T3"}) })
	env.SetTimer(2*time.Millisecond, func() { env.WaitsFor("T1", []string{"T3"}) })
	env.SetTimer(3*time.Millisecond, func() { env.WaitsFor("T2", []string{"T1"}) })
	env.SetTimer(4*time.Millisecond, func() { env.WaitsFor("T1", nil) })
	env.SetTimer(5*time.Millisecond, func() { env.WaitsFor("T9", nil) }) // never waited: no report
}
func (w *waiter) Handle(maelstrom.Msg) {}

func TestWaitsAreRecordedAndEndWithACrash(t *testing.T) {
	s := New(Config{Seed: 1})
	s.AddServer("n0", func() nodes.Node { return &waiter{} })
	s.Start()
	if err := s.RunUntil(10 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill("n0"); err != nil {
		t.Fatal(err)
	}
	ms := int64(time.Millisecond)
	want := []history.Wait{
		{Time: 1 * ms, Node: "n0", Txn: "T1", Holders: []string{"T2", "T3"}},
		{Time: 2 * ms, Node: "n0", Txn: "T1", Holders: []string{"T3"}},
		{Time: 3 * ms, Node: "n0", Txn: "T2", Holders: []string{"T1"}},
		{Time: 4 * ms, Node: "n0", Txn: "T1"},
		// The crash ends T2's wait: the node's lock table is gone.
		{Time: 10 * ms, Node: "n0", Txn: "T2"},
	}
	if got := s.Waits(); !reflect.DeepEqual(got, want) {
		t.Fatalf("waits:\n got %+v\nwant %+v", got, want)
	}
}
