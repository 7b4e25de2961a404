package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

func TestRunDirsNeverCollideAndLatestFollows(t *testing.T) {
	store := t.TempDir()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	a, err := NewRunDir(store, "single-register", now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewRunDir(store, "single-register", now) // the same millisecond
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two runs got one directory")
	}
	latest, err := filepath.EvalSymlinks(filepath.Join(store, "latest"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(b); latest != want {
		t.Fatalf("latest -> %s, want the newest run %s", latest, want)
	}
}

func TestWriteRecordsEverything(t *testing.T) {
	dir := t.TempDir()
	h := history.History{
		{Index: 0, Process: 0, F: "write", Key: "1", Value: 3, Outcome: history.OK, Invoke: 1, Complete: 2},
		{Index: 1, Process: 1, F: "read", Key: "1", Result: 3, Outcome: history.OK, Invoke: 3, Complete: 4},
	}
	run := &Run{
		Results: Results{Name: "x", Valid: checkers.Invalid, Seed: 9,
			Checks: []checkers.Result{{Checker: "linearizable", Valid: checkers.Invalid, Summary: "not linearizable: key 1"}}},
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
	if got["valid"] != false || got["seed"] != 9.0 || got["history_digest"] != h.Digest() {
		t.Fatalf("results.json: valid %v seed %v digest %v (want false, 9, %s)", got["valid"], got["seed"], got["history_digest"], h.Digest())
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
