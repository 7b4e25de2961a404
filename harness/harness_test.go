package harness

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	kafkacheck "github.com/ddbbench/ddbbench/checkers/kafka"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/catalog"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/reports/reportstest"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

func config(node string, seed int64) Config {
	c := Defaults()
	c.Strategy, _ = catalog.Lookup(node)
	c.NodeCount, c.TimeLimit, c.Rate, c.Seed = 3, 10*time.Second, 100, seed
	c.Latency = 2 * time.Millisecond
	return c
}

func simulate(t *testing.T, c Config) *Outcome {
	t.Helper()
	out, err := Simulate(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSingleIsValidAndAvailable(t *testing.T) {
	out := simulate(t, config("single", 7))
	run := Check(out)
	r := run.Results
	if r.Valid != checkers.Valid {
		t.Fatalf("single should be valid, got %v: %+v", r.Valid, r.Checks)
	}
	if r.AvailabilityOrZero() != 1 {
		t.Fatalf("single without faults should answer everything, availability %v", r.AvailabilityOrZero())
	}
	if len(out.History) < 900 {
		t.Fatalf("expected about 1000 ops at 100/s for 10s plus final reads, got %d", len(out.History))
	}
	// n0's clients answer in 0 ms; the others cost a 2 ms round trip.
	if r.Latency.Overall.Max < 3.9 || r.Latency.Overall.P50 > 4.1 {
		t.Fatalf("latency figures off: %+v", r.Latency.Overall)
	}
	if r.Messages.ServerToServer == 0 || r.Messages.PerOp < 2 {
		t.Fatalf("message counts off: %+v", r.Messages)
	}
}

func TestSameSeedSameDigest(t *testing.T) {
	a := simulate(t, config("single", 7)).History.Digest()
	b := simulate(t, config("single", 7)).History.Digest()
	c := simulate(t, config("single", 8)).History.Digest()
	if a != b {
		t.Fatal("same seed, different histories")
	}
	if a == c {
		t.Fatal("different seeds, same history")
	}
}

func TestLocalIsCaught(t *testing.T) {
	run := Check(simulate(t, config("local", 1)))
	if run.Results.Valid != checkers.Invalid {
		t.Fatalf("local must be caught as not linearizable, got %v", run.Results.Valid)
	}
	if _, ok := run.Files["linearizability.html"]; !ok {
		t.Fatal("a violation must come with Porcupine's visualization")
	}
}

func TestSingleUnderFaultsStaysValidButLosesAvailability(t *testing.T) {
	c := config("single", 3)
	c.TimeLimit, c.Nemesis, c.NemesisInterval = 30*time.Second, []string{"kill", "partition"}, 3*time.Second
	c.OpTimeout = time.Second
	out := simulate(t, c)
	run := Check(out)
	r := run.Results
	if r.Valid != checkers.Valid {
		t.Fatalf("single must stay linearizable under kill and partition, got %v: %+v", r.Valid, r.Checks)
	}
	if len(out.Faults) == 0 {
		t.Fatal("no faults were injected")
	}
	if r.AvailabilityDuringFaults == nil || *r.AvailabilityDuringFaults >= 1 || r.AvailabilityOrZero() >= 1 {
		t.Fatalf("availability should drop while n0 is down or cut off: overall %v, during %v", r.AvailabilityOrZero(), r.AvailabilityDuringFaults)
	}
}

func TestBadNamesListValidOnes(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Strategy = nodes.Strategy{} }, "no node to test"},
		{func(c *Config) { c.Workload = "nope" }, "register"},
		{func(c *Config) { c.Nemesis = []string{"meteor"} }, "partition"},
		{func(c *Config) { c.LatencyDist = "pareto" }, "exponential"},
	} {
		c := config("single", 1)
		tc.mutate(&c)
		_, err := Simulate(context.Background(), c, nil)
		if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want a bad-config error listing %q, got %v", tc.want, err)
		}
	}
}

func TestInterruptKeepsWhatWasRecorded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := config("single", 1)
	c.TimeLimit = time.Hour
	calls := 0
	out, err := Simulate(ctx, c, func(p Progress) {
		if calls++; p.Now > 5*time.Second {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Interrupted || len(out.History) == 0 {
		t.Fatalf("want an interrupted outcome with history, got interrupted=%v ops=%d", out.Interrupted, len(out.History))
	}
	if v := Check(out).Results.Valid; v != checkers.Unknown {
		t.Fatalf("an interrupted valid run proves nothing: want unknown, got %v", v)
	}
}

// BenchmarkSixtySecondRun is the standard run: 60 s of virtual time at
// 1,000 ops/s on 5 nodes of the single-copy strategy.
func BenchmarkSixtySecondRun(b *testing.B) {
	c := Defaults()
	c.Strategy, _ = catalog.Lookup("single")
	c.NodeCount, c.TimeLimit, c.Rate, c.Latency, c.Seed = 5, 60*time.Second, 1000, 5*time.Millisecond, 1
	for b.Loop() {
		out, err := Simulate(context.Background(), c, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(out.Duration.Seconds()/out.Wall.Seconds(), "virtual-s/wall-s")
		b.ReportMetric(float64(out.Messages.Total())/out.Wall.Seconds(), "msgs/s")
	}
}

// BenchmarkSixtySecondRunChecked is the standard run including the
// linearizability check and results assembly: what a user waits for.
func BenchmarkSixtySecondRunChecked(b *testing.B) {
	c := Defaults()
	c.Strategy, _ = catalog.Lookup("single")
	c.NodeCount, c.TimeLimit, c.Rate, c.Latency, c.Seed = 5, 60*time.Second, 1000, 5*time.Millisecond, 1
	for b.Loop() {
		out, err := Simulate(context.Background(), c, nil)
		if err != nil {
			b.Fatal(err)
		}
		if v := Check(out).Results.Valid; v != checkers.Valid {
			b.Fatalf("verdict %v", v)
		}
	}
}

// Duplicated messages must not make the owner re-apply a forwarded write
// after a newer one: single executes forwarded requests at most once.
// Without that, every one of these seeds is caught.
func TestSingleSurvivesDuplication(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		c := config("single", seed)
		c.TimeLimit, c.Rate, c.Register.Keys, c.LatencyDist = 60*time.Second, 300, 3, "exponential"
		c.Nemesis, c.NemesisInterval, c.Latency = []string{"packet-dup"}, 5*time.Second, 5*time.Millisecond
		if r := Check(simulate(t, c)).Results; r.Valid != checkers.Valid {
			t.Fatalf("seed %d: %v: %+v", seed, r.Valid, r.Checks)
		}
	}
}

// A strategy that refuses cas gets cas's share of the mix as reads.
func TestNoCASGivesCASShareToReads(t *testing.T) {
	for _, tc := range []struct {
		r, w, c      int
		wantR, wantW int
		noCAS        bool
		wantC        int
	}{
		{1, 1, 1, 2, 1, true, 0},
		{4, 1, 2, 6, 1, true, 0},
		{0, 0, 3, 3, 0, true, 0},
		{1, 1, 1, 1, 1, false, 1},
	} {
		c := config("single", 1)
		c.Strategy.NoCAS = tc.noCAS
		c.Register.Reads, c.Register.Writes, c.Register.CASes = tc.r, tc.w, tc.c
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := [3]int{c.Register.Reads, c.Register.Writes, c.Register.CASes}; got != [3]int{tc.wantR, tc.wantW, tc.wantC} {
			t.Errorf("mix %d:%d:%d, NoCAS %v: got %v", tc.r, tc.w, tc.c, tc.noCAS, got)
		}
	}
}

func TestWorkloadDefaultsToTheStrategys(t *testing.T) {
	for _, tc := range []struct{ served, want string }{{"", "register"}, {"echo", "echo"}} {
		c := config("single", 1)
		c.Strategy.Workload = tc.served
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.Workload != tc.want {
			t.Errorf("strategy serving %q: workload %q, want %q", tc.served, c.Workload, tc.want)
		}
	}
	c := config("single", 1)
	c.Workload = "kafka"
	if err := c.Validate(); err != nil || c.Workload != "kafka" {
		t.Fatalf("an explicit workload must stay: %q, %v", c.Workload, err)
	}
	bin := Defaults()
	bin.Bin = []string{"/bin/true"}
	if err := bin.Validate(); err == nil || !strings.Contains(err.Error(), "-w") {
		t.Fatalf("a binary with no workload must be refused with a hint, got %v", err)
	}
}

// --kafka-strict-commits turns a committed offset that went back below an
// acknowledged commit from a note into an error.
func TestKafkaStrictCommits(t *testing.T) {
	ok := func(i int, f string, value, result any) *history.Op {
		return &history.Op{Index: i, Process: 0, F: f, Key: "a", Value: value, Result: result, Outcome: history.OK,
			Invoke: int64(10 * i), Complete: int64(10*i + 5)}
	}
	h := history.History{
		ok(0, "send", 1, int64(0)),
		ok(1, "send", 2, int64(1)),
		ok(2, "poll", map[string]int64{"a": 0}, map[string][]kafkacheck.Pair{"a": {{Offset: 0, Msg: 1}, {Offset: 1, Msg: 2}}}),
		ok(3, "commit", map[string]int64{"a": 1}, nil),
		ok(4, "assign", []string{"a"}, map[string]int64{"a": 0}),
	}
	for _, strict := range []bool{false, true} {
		c := Defaults()
		c.Workload, c.KafkaStrictCommits = "kafka", strict
		res := Check(&Outcome{Config: c, History: h}).Results
		var kafka checkers.Result
		for _, r := range res.Checks {
			if r.Checker == "kafka" {
				kafka = r
			}
		}
		want := checkers.Valid
		if strict {
			want = checkers.Invalid
		}
		if kafka.Valid != want || !strings.Contains(kafka.Summary, "commit-regressed") {
			t.Errorf("strict %v: kafka check %s (%s), want %s naming commit-regressed", strict, kafka.Valid, kafka.Summary, want)
		}
	}
}

// Maelstrom runs Jepsen's stats checker on every test: a run in which some
// operation type never succeeded is invalid, however consistent the rest.
func TestAnOperationTypeThatNeverSucceededIsInvalid(t *testing.T) {
	op := func(i int, f string, out history.Outcome) *history.Op {
		return &history.Op{Index: i, F: f, Key: "1", Value: 1, Outcome: out, Invoke: int64(10 * i), Complete: int64(10*i + 5)}
	}
	h := history.History{op(0, "write", history.Fail), op(1, "read", history.OK), op(2, "write", history.Info), op(3, "read", history.OK)}
	h[1].Result, h[3].Result = nil, nil
	h[1].Error = &history.Error{Code: 20}
	h[3].Error = &history.Error{Code: 20}
	c := Defaults()
	c.Workload = "lin-kv"
	for _, interrupted := range []bool{false, true} {
		res := Check(&Outcome{Config: c, History: h, Interrupted: interrupted}).Results
		want := checkers.Invalid
		if interrupted {
			want = checkers.Unknown // a run cut short may not have had the time
		}
		if res.Valid != want {
			t.Errorf("interrupted %v: verdict %s, want %s: %+v", interrupted, res.Valid, want, res.Checks)
		}
		found := false
		for _, r := range res.Checks {
			if r.Checker == "stats" {
				found = true
				if !strings.Contains(r.Summary, "write never succeeded") {
					t.Errorf("stats summary %q does not name write", r.Summary)
				}
			}
		}
		if !found {
			t.Errorf("no stats check among %+v", res.Checks)
		}
	}
}

// A run that ended with an error (a node crashed) is never valid, however
// clean what it recorded; results.json says why.
func TestRunThatEndedWithAnErrorIsNeverValid(t *testing.T) {
	out := simulate(t, config("single", 1))
	if v := Check(out).Results.Valid; v != checkers.Valid {
		t.Fatalf("the run itself is %s, want valid", v)
	}
	out.Err = errors.New("n1 exited on its own (exit status 3)")
	run := Check(out)
	r := run.Results
	if r.Valid != checkers.Unknown || r.Error != out.Err.Error() {
		t.Fatalf("valid %s, error %q; want unknown and the run's error", r.Valid, r.Error)
	}
	dir := reportstest.Store(t)
	if err := reports.Write(dir, run); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"valid": "unknown"`) {
		t.Fatalf("results.json does not say unknown: %.300s", b)
	}
}

// The simulator's warning kinds are the ones results.json documents.
func TestWarningKindsAgree(t *testing.T) {
	simKinds := []string{sim.WarnUnknownInReplyTo, sim.WarnDuplicateReply, sim.WarnLateReply, sim.WarnUnsolicited}
	if !slices.Equal(simKinds, []string{reports.WarnUnknownInReplyTo, reports.WarnDuplicateReply, reports.WarnLateReply, reports.WarnUnsolicited}) {
		t.Fatalf("simulator kinds %v, results kinds %v", simKinds, reports.WarningKinds)
	}
	for _, k := range simKinds {
		if !slices.Contains(reports.WarningKinds, k) {
			t.Errorf("%s is not in reports.WarningKinds", k)
		}
	}
}
