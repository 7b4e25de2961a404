package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/latency"
	"github.com/ddbbench/ddbbench/checkers/stats"
	"github.com/ddbbench/ddbbench/history"
)

// store/latest points at a run once it is complete: a run in progress (or
// one that died before writing its results) leaves it at the last complete
// one.
func TestRunDirsNeverCollideAndLatestFollowsCompleteRuns(t *testing.T) {
	store := t.TempDir()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	latest := func() string {
		t.Helper()
		p, err := filepath.EvalSymlinks(filepath.Join(store, "latest"))
		if err != nil {
			return ""
		}
		return p
	}
	real := func(dir string) string {
		p, _ := filepath.EvalSymlinks(dir)
		return p
	}
	a, err := NewRunDir(store, "single-register", now)
	if err != nil {
		t.Fatal(err)
	}
	if l := latest(); l != "" {
		t.Fatalf("latest -> %s while the first run is still going", l)
	}
	PointLatest(store, a)
	b, err := NewRunDir(store, "single-register", now) // the same millisecond
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two runs got one directory")
	}
	if l := latest(); l != real(a) {
		t.Fatalf("latest -> %s while the second run is going, want the complete run %s", l, a)
	}
	PointLatest(store, b)
	if l := latest(); l != real(b) {
		t.Fatalf("latest -> %s, want the newest complete run %s", l, b)
	}
}

func TestWriteRecordsEverything(t *testing.T) {
	dir := t.TempDir()
	h := history.History{
		{Index: 0, Process: 0, F: "write", Key: "1", Value: 3, Outcome: history.OK, Invoke: 1, Complete: 2},
		{Index: 1, Process: 1, F: "read", Key: "1", Result: 3, Outcome: history.OK, Invoke: 3, Complete: 4},
	}
	res := sampleResults()
	res.Name, res.Valid, res.Seed = "x", checkers.Invalid, 9
	res.Checks = []checkers.Result{{Checker: "linearizable", Valid: checkers.Invalid, Summary: "not linearizable: key 1"}}
	run := &Run{
		Results: res,
		History: h,
		Logs:    map[string][]byte{"n0": []byte("hello\n")},
		Files:   map[string][]byte{"linearizability.html": []byte("<html>")},
	}
	if err := Write(dir, run); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"results.json", "history.jsonl", "summary.txt", "linearizability.html", "node-logs/n0.log"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s", name)
		}
	}
	var got map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["valid"] != "false" || got["seed"] != 9.0 || got["history_digest"] != h.Digest() {
		t.Fatalf("results.json: valid %v seed %v digest %v (want \"false\", 9, %s)", got["valid"], got["seed"], got["history_digest"], h.Digest())
	}
	if err := ValidateResults(b); err != nil {
		t.Fatalf("results.json does not fit its schema: %v\n%s", err, b)
	}
	f, _ := os.Open(filepath.Join(dir, "history.jsonl"))
	defer f.Close()
	back, err := history.ReadJSONL(f)
	if err != nil || len(back) != 2 || back[1].F != "read" {
		t.Fatalf("history.jsonl does not read back: %v %+v", err, back)
	}
	summary, _ := os.ReadFile(filepath.Join(dir, "summary.txt"))
	if !strings.HasPrefix(string(summary), "INVALID  x") || !strings.Contains(string(summary), "not linearizable: key 1") {
		t.Fatalf("summary:\n%s", summary)
	}
}

func TestSummaryWarnsWhenTheRateFellShort(t *testing.T) {
	for _, tc := range []struct {
		requested, achieved float64
		warn                bool
	}{
		{1000, 1000, false},
		{1000, 951, false},
		{1000, 949, true},
		{1000, 570, true},
		{0, 0, false}, // no load asked for: nothing to fall short of
	} {
		r := &Results{Runtime: "proc", Rate: Rate{Requested: tc.requested, Achieved: tc.achieved}}
		s := Summary(r, "")
		if got := strings.Contains(s, "WARNING"); got != tc.warn || r.Rate.Short() != tc.warn {
			t.Errorf("%v of %v requested: warned %v, want %v:\n%s", tc.achieved, tc.requested, got, tc.warn, s)
		}
		if tc.requested > 0 && !strings.Contains(s, "achieved of") {
			t.Errorf("the summary must report the achieved rate:\n%s", s)
		}
	}
}

// sampleResults is a complete Results, as a run without faults fills it.
func sampleResults() Results {
	one := 1.0
	q := latency.Quantiles{Count: 2, P50: 1, P90: 1, P99: 1, P999: 1, Max: 1}
	return Results{
		Format: Format, Name: "single-register", Valid: checkers.Valid, Seed: 1, Runtime: "sim",
		StartedAt: "2026-11-21T12:00:00Z", RunS: 1, WallS: 0.01, Availability: &one,
		Latency: latency.Report{Overall: q, ServiceTime: q, ByF: map[string]latency.Quantiles{"read": q},
			ByOutcome: map[history.Outcome]latency.Quantiles{history.OK: q, history.Fail: {}},
			ByPhase:   map[latency.Phase]latency.Quantiles{latency.Before: q, latency.During: {}, latency.After: {}}},
		Messages: Messages{Total: 4, ClientServer: 4, PerOp: 2, Operations: 2},
		Checks:   []checkers.Result{{Checker: "linearizable", Valid: checkers.Valid, Summary: "linearizable: 2 ops on 1 keys"}},
		Stats: stats.Stats{Total: stats.Tally{Invoked: 2, OK: 2, Availability: &one},
			ByF: map[string]stats.Tally{"read": {Invoked: 2, OK: 2, Availability: &one}}},
		Config: RunConfig{Node: "single", Workload: "register", NodeCount: 1, TimeLimitS: 1, Rate: 2, Concurrency: 2,
			LatencyMS: 5, LatencyDist: "constant", NemesisIntervalS: 10, Seed: 1, OpTimeoutS: 5, RecoveryS: 10, CheckTimeoutS: 300,
			Register: &RegisterConfig{Keys: 1, PerKeyLimit: 30, Mix: RegisterMix{Read: 1, Write: 1, CAS: 1}, FinalReads: true}},
	}
}

func TestSummaryShowsProtocolWarnings(t *testing.T) {
	r := sampleResults()
	if s := Summary(&r, ""); strings.Contains(s, "warnings") {
		t.Fatalf("a run without warnings shows some:\n%s", s)
	}
	irt := 7
	r.ProtocolWarnings = ProtocolWarnings{Count: 4, ByKind: map[string]WarningKind{
		WarnLateReply:      {Count: 3, Examples: []Warning{{AtS: 2.5, Src: "n1", Dest: "c0", Type: "read_ok", InReplyTo: &irt}}},
		WarnDuplicateReply: {Count: 1, Examples: []Warning{{AtS: 1.25, Src: "n0", Dest: "c1", Type: "write_ok", InReplyTo: &irt}}},
	}}
	want := "  warnings      1 duplicate reply, 3 late replies (after the op timeout); e.g. n0 -> c1 write_ok in_reply_to 7 at 1.250 s\n"
	if s := Summary(&r, ""); !strings.Contains(s, want) {
		t.Fatalf("summary lacks\n%s\n%s", want, s)
	}
}
