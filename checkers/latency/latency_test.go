package latency

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/history"
)

// timed builds an operation intended at t that waited `queue` before being
// invoked and then took `service` to complete.
func timed(f string, outcome history.Outcome, t, queue, service time.Duration) *history.Op {
	return &history.Op{
		F: f, Outcome: outcome,
		Intended: int64(t), Invoke: int64(t + queue), Complete: int64(t + queue + service),
	}
}

// near reports whether an HDR figure matches the exact one: HDR rounds up
// to the top of a bucket, at most 0.1% above.
func near(got, want float64) bool {
	return got >= want && got <= want*1.001+1e-9
}

func TestKnownQuantiles(t *testing.T) {
	// Latencies 1..100 ms, of which 1 ms was spent queued: service times
	// are 0..99 ms.
	var h history.History
	for i := 1; i <= 100; i++ {
		h = append(h, timed("read", history.OK, time.Duration(i)*time.Second, time.Millisecond, time.Duration(i-1)*time.Millisecond))
	}
	r := Compute(h, nil)

	want := Quantiles{Count: 100, P50: 50, P90: 90, P99: 99, P999: 100, Max: 100}
	checkQuantiles(t, "latency", r.Overall, want)
	checkQuantiles(t, "service time", r.ServiceTime, Quantiles{Count: 100, P50: 49, P90: 89, P99: 98, P999: 99, Max: 99})
	checkQuantiles(t, "read", r.ByF["read"], want)
	checkQuantiles(t, "ok", r.ByOutcome[history.OK], want)
	checkQuantiles(t, "before", r.ByPhase[Before], want)
	if r.ByOutcome[history.Fail].Count != 0 || r.ByPhase[During].Count != 0 || r.ByPhase[After].Count != 0 {
		t.Errorf("empty groups are not empty: %+v %+v", r.ByOutcome, r.ByPhase)
	}
}

func checkQuantiles(t *testing.T, name string, got, want Quantiles) {
	t.Helper()
	if got.Count != want.Count || !near(got.P50, want.P50) || !near(got.P90, want.P90) ||
		!near(got.P99, want.P99) || !near(got.P999, want.P999) || !near(got.Max, want.Max) {
		t.Errorf("%s: got %+v, want about %+v", name, got, want)
	}
}

func TestGroupsAreMergesOfTheSameOps(t *testing.T) {
	ms := time.Millisecond
	h := history.History{
		timed("read", history.OK, 0, 0, 1*ms),
		timed("read", history.Fail, 0, 0, 2*ms),
		timed("write", history.OK, 0, 0, 3*ms),
		timed("write", history.OK, 0, 0, 4*ms),
		timed("cas", history.Fail, 0, 0, 5*ms),
		timed("cas", history.Info, 0, 0, 500*ms), // never completed
	}
	r := Compute(h, nil)

	if r.Info != 1 || r.Overall.Count != 5 || r.ServiceTime.Count != 5 {
		t.Fatalf("info %d, latency count %d, service count %d; want 1, 5, 5", r.Info, r.Overall.Count, r.ServiceTime.Count)
	}
	counts := map[string]int64{}
	for f, q := range r.ByF {
		counts[f] = q.Count
	}
	if counts["read"] != 2 || counts["write"] != 2 || counts["cas"] != 1 {
		t.Errorf("per-f counts %v", counts)
	}
	if ok, fail := r.ByOutcome[history.OK], r.ByOutcome[history.Fail]; ok.Count != 3 || fail.Count != 2 ||
		!near(ok.Max, 4) || !near(fail.Max, 5) {
		t.Errorf("per outcome ok %+v fail %+v", ok, fail)
	}
	if _, ok := r.ByOutcome[history.Info]; ok {
		t.Error("info has a latency histogram")
	}
	if !near(r.Overall.Max, 5) {
		t.Errorf("overall max %v, want 5 ms: the info op must not count", r.Overall.Max)
	}
}

func TestPhases(t *testing.T) {
	// Faults [100, 200) and [300, 400).
	faults := []history.Fault{{Kind: "kill", Start: 300, End: 400}, {Kind: "partition", Start: 100, End: 200}}
	at := func(invoke int64) *history.Op { return &history.Op{Invoke: invoke} }
	cases := []struct {
		op   *history.Op
		want Phase
	}{
		{at(0), Before},
		{at(99), Before},
		{at(100), During},
		{at(199), During},
		{at(200), After}, // healed: windows are half-open
		{at(299), After},
		{at(350), During},
		{at(400), After},
		{&history.Op{Invoke: 150, Final: true}, After},
		{&history.Op{Invoke: 50, Final: true}, After},
	}
	for _, tc := range cases {
		if got := PhaseOf(tc.op, faults); got != tc.want {
			t.Errorf("invoked at %d (final %v): phase %s, want %s", tc.op.Invoke, tc.op.Final, got, tc.want)
		}
	}
	if got := PhaseOf(&history.Op{Invoke: 150, Final: true}, nil); got != Before {
		t.Errorf("without faults every op is before, got %s", got)
	}
}

func TestPhaseFigures(t *testing.T) {
	ms := time.Millisecond
	faults := []history.Fault{{Kind: "partition", Start: int64(10 * time.Second), End: int64(20 * time.Second)}}
	h := history.History{
		timed("read", history.OK, 1*time.Second, 0, 1*ms),
		timed("read", history.OK, 12*time.Second, 0, 900*ms),
		timed("read", history.Fail, 15*time.Second, 0, 1000*ms),
		timed("read", history.OK, 25*time.Second, 0, 2*ms),
	}
	final := timed("read", history.OK, 30*time.Second, 0, 3*ms)
	final.Final = true
	h = append(h, final)

	r := Compute(h, faults)
	checkQuantiles(t, "before", r.ByPhase[Before], Quantiles{Count: 1, P50: 1, P90: 1, P99: 1, P999: 1, Max: 1})
	checkQuantiles(t, "during", r.ByPhase[During], Quantiles{Count: 2, P50: 900, P90: 1000, P99: 1000, P999: 1000, Max: 1000})
	checkQuantiles(t, "after", r.ByPhase[After], Quantiles{Count: 2, P50: 2, P90: 3, P99: 3, P999: 3, Max: 3})
}

// Latency counts from the intended start, service time from invocation:
// an op that queued for a second is a second slow.
func TestLatencyIncludesQueueing(t *testing.T) {
	r := Compute(history.History{timed("write", history.OK, 0, time.Second, 5*time.Millisecond)}, nil)
	if !near(r.Overall.Max, 1005) || !near(r.ServiceTime.Max, 5) {
		t.Errorf("latency max %v ms, service max %v ms; want 1005 and 5", r.Overall.Max, r.ServiceTime.Max)
	}
}

func TestEmptyHistory(t *testing.T) {
	r := Compute(nil, nil)
	if r.Overall != (Quantiles{}) || r.ServiceTime != (Quantiles{}) || len(r.ByF) != 0 || r.Info != 0 {
		t.Errorf("empty report %+v", r)
	}
	if len(r.ByPhase) != 3 || len(r.ByOutcome) != 2 {
		t.Errorf("empty report lacks its fixed groups: %+v %+v", r.ByPhase, r.ByOutcome)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"overall":{"count":0,"p50_ms":0,"p90_ms":0,"p99_ms":0,"p999_ms":0,"max_ms":0},`
	if !strings.HasPrefix(string(b), want) || !strings.Contains(string(b), `"by_phase":{"after":{"count":0,`) {
		t.Errorf("JSON %s", b)
	}
}

func TestOutOfRangeValuesAreClamped(t *testing.T) {
	h := history.History{
		{F: "read", Outcome: history.OK, Intended: 10_000, Invoke: 10_000, Complete: 5}, // completes before it starts
		timed("read", history.OK, 0, 0, 2*time.Hour),
		timed("read", history.OK, 0, 0, 500*time.Nanosecond), // below a microsecond
	}
	r := Compute(h, nil)
	// Two values each for latency and service time.
	if r.Clamped != 4 || r.Overall.Count != 3 {
		t.Errorf("clamped %d, count %d; want 4 and 3", r.Clamped, r.Overall.Count)
	}
	if !near(r.Overall.Max, float64(time.Hour/time.Millisecond)) {
		t.Errorf("max %v ms, want an hour", r.Overall.Max)
	}
	if r.Overall.P50 != 0 {
		t.Errorf("p50 %v, want 0", r.Overall.P50)
	}
}

func TestDeterministic(t *testing.T) {
	var h history.History
	for i := range 1000 {
		f := []string{"read", "write", "cas"}[i%3]
		outcome := []history.Outcome{history.OK, history.OK, history.Fail, history.Info}[i%4]
		h = append(h, timed(f, outcome, time.Duration(i)*time.Millisecond, 0, time.Duration(math.Sqrt(float64(i)))*time.Millisecond))
	}
	faults := []history.Fault{{Start: int64(300 * time.Millisecond), End: int64(600 * time.Millisecond)}}
	first, _ := json.Marshal(Compute(h, faults))
	for range 5 {
		again, _ := json.Marshal(Compute(h, faults))
		if string(again) != string(first) {
			t.Fatalf("reports differ:\n%s\n%s", first, again)
		}
	}
}
