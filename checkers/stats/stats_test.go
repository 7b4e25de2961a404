package stats

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/history"
)

// op builds an operation of function f invoked at t.
func op(f string, outcome history.Outcome, t int64) *history.Op {
	return &history.Op{F: f, Outcome: outcome, Intended: t, Invoke: t, Complete: t + 1}
}

func final(o *history.Op) *history.Op {
	o.Final = true
	return o
}

func ptr(f float64) *float64 { return &f }

func equalRatio(a, b *float64) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func TestCompute(t *testing.T) {
	// One fault window, [100, 200).
	faults := []history.Fault{{Kind: "partition", Start: 100, End: 200}}
	h := history.History{
		op("read", history.OK, 10),
		op("read", history.OK, 20),
		op("write", history.OK, 30),
		op("write", history.Fail, 40),
		op("read", history.OK, 100), // during
		op("read", history.Info, 150),
		op("write", history.Fail, 199),
		op("write", history.OK, 200), // healed: the window is half-open
		final(op("read", history.OK, 300)),
		final(op("read", history.Fail, 310)),
	}
	s := Compute(h, faults)

	want := map[string]Tally{
		"total": {Invoked: 10, OK: 6, Fail: 3, Info: 1, Final: 2,
			Availability: ptr(5.0 / 8), DuringFaults: 3, AvailabilityDuringFaults: ptr(1.0 / 3)},
		"read": {Invoked: 6, OK: 4, Fail: 1, Info: 1, Final: 2,
			Availability: ptr(3.0 / 4), DuringFaults: 2, AvailabilityDuringFaults: ptr(1.0 / 2)},
		"write": {Invoked: 4, OK: 2, Fail: 2, Info: 0, Final: 0,
			Availability: ptr(2.0 / 4), DuringFaults: 1, AvailabilityDuringFaults: ptr(0)},
	}
	got := map[string]Tally{"total": s.Total, "read": s.ByF["read"], "write": s.ByF["write"]}
	for name, w := range want {
		g := got[name]
		if g.Invoked != w.Invoked || g.OK != w.OK || g.Fail != w.Fail || g.Info != w.Info || g.Final != w.Final ||
			g.DuringFaults != w.DuringFaults ||
			!equalRatio(g.Availability, w.Availability) || !equalRatio(g.AvailabilityDuringFaults, w.AvailabilityDuringFaults) {
			t.Errorf("%s: got %s\nwant %s", name, show(g), show(w))
		}
	}
	if len(s.ByF) != 2 {
		t.Errorf("ByF has %d functions, want read and write", len(s.ByF))
	}
}

func TestNoFaultsLeavesFaultAvailabilityUndefined(t *testing.T) {
	s := Compute(history.History{op("read", history.OK, 1), op("read", history.Fail, 2)}, nil)
	if s.Total.AvailabilityDuringFaults != nil || s.Total.DuringFaults != 0 {
		t.Errorf("availability during faults without faults: %s", show(s.Total))
	}
	if !equalRatio(s.Total.Availability, ptr(0.5)) {
		t.Errorf("availability %s, want 0.5", show(s.Total))
	}
}

func TestOnlyFinalOpsLeaveAvailabilityUndefined(t *testing.T) {
	s := Compute(history.History{final(op("read", history.OK, 1))}, nil)
	if s.Total.Availability != nil || s.Total.Invoked != 1 || s.Total.Final != 1 {
		t.Errorf("got %s", show(s.Total))
	}
}

func TestJSONShape(t *testing.T) {
	b, err := json.Marshal(Compute(history.History{op("cas", history.OK, 1)}, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"total":{"invoked":1,"ok":1,"fail":0,"info":0,"final":0,"availability":1,"during_faults":0,"availability_during_faults":null},` +
		`"by_f":{"cas":{"invoked":1,"ok":1,"fail":0,"info":0,"final":0,"availability":1,"during_faults":0,"availability_during_faults":null}}}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	empty, _ := json.Marshal(Compute(nil, nil))
	if !strings.Contains(string(empty), `"availability":null`) || !strings.Contains(string(empty), `"by_f":{}`) {
		t.Errorf("empty history JSON: %s", empty)
	}
}

func show(t Tally) string {
	b, _ := json.Marshal(t)
	return string(b)
}
