package stats

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

func TestAvailability(t *testing.T) {
	// 9 of 10 main-phase operations ok; the final read failed.
	var ninety history.History
	for i := range 10 {
		outcome := history.OK
		if i == 3 {
			outcome = history.Info
		}
		ninety = append(ninety, op("read", outcome, int64(i)))
	}
	ninety = append(ninety, final(op("read", history.Fail, 100)))
	for i, o := range ninety {
		o.Index = i
	}
	allOK := history.History{op("write", history.OK, 1), final(op("read", history.OK, 2))}

	cases := []struct {
		name     string
		required float64
		total    bool
		h        history.History
		want     checkers.Validity
		summary  string
	}{
		{"exactly the requirement", 0.9, false, ninety, checkers.Valid, "availability 0.9 over 10 operations meets the required 0.9"},
		{"below the requirement", 0.95, false, ninety, checkers.Invalid, "availability 0.9 over 10 operations is below the required 0.95"},
		{"nothing required", 0, false, ninety, checkers.Valid, "meets the required 0"},
		{"total with failures", 0, true, ninety, checkers.Invalid, "2 of 11 operations were not ok (1 fail, 1 info)"},
		{"total, final ops count", 0, true, history.History{op("read", history.OK, 1), final(op("read", history.Fail, 2))}, checkers.Invalid, "1 of 2"},
		{"total, all ok", 0, true, allOK, checkers.Valid, "all 2 operations ok"},
		{"fraction of all ok", 1, false, allOK, checkers.Valid, "availability 1 over 1 operations"},
		{"empty history", 0.5, false, nil, checkers.Unknown, "undefined"},
		{"only final ops", 0.5, false, history.History{final(op("read", history.OK, 1))}, checkers.Unknown, "undefined"},
		{"total of nothing", 0, true, nil, checkers.Unknown, "undefined"},
		{"requirement out of range", 1.5, false, allOK, checkers.Unknown, "not a fraction"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Availability(tc.required, tc.total).Check(tc.h)
			if r.Checker != "availability" {
				t.Errorf("Checker = %q", r.Checker)
			}
			if r.Valid != tc.want {
				t.Errorf("verdict %s, want %s: %s", r.Valid, tc.want, r.Summary)
			}
			if !strings.Contains(r.Summary, tc.summary) {
				t.Errorf("summary %q lacks %q", r.Summary, tc.summary)
			}
			ev, ok := r.Evidence.(AvailabilityEvidence)
			if !ok {
				t.Fatalf("evidence is %T", r.Evidence)
			}
			if ev.Total != tc.total || (!tc.total && ev.Required != tc.required) || (tc.total && ev.Required != 1) {
				t.Errorf("evidence requirement %v total=%v", ev.Required, ev.Total)
			}
		})
	}
}

func TestAvailabilityEvidence(t *testing.T) {
	h := history.History{
		{Index: 0, Process: 1, F: "read", Outcome: history.OK},
		{Index: 1, Process: 2, F: "write", Outcome: history.Fail, Error: &history.Error{Code: 11}},
		{Index: 2, Process: 3, F: "cas", Outcome: history.Info, Error: &history.Error{Code: 0, Text: "timeout"}},
	}
	r := Availability(0.9, false).Check(h)
	ev := r.Evidence.(AvailabilityEvidence)
	if ev.Measured == nil || *ev.Measured != 1.0/3 || ev.Required != 0.9 || ev.Tally.Invoked != 3 {
		t.Errorf("evidence %+v", ev)
	}
	if ev.NotOK != nil {
		t.Errorf("a fraction verdict lists operations: %+v", ev.NotOK)
	}

	ev = Availability(0, true).Check(h).Evidence.(AvailabilityEvidence)
	want := []NotOK{
		{Index: 1, Process: 2, F: "write", Type: history.Fail, Error: h[1].Error},
		{Index: 2, Process: 3, F: "cas", Type: history.Info, Error: h[2].Error},
	}
	if len(ev.NotOK) != 2 || ev.NotOK[0] != want[0] || ev.NotOK[1] != want[1] {
		t.Errorf("not ok %+v, want %+v", ev.NotOK, want)
	}
	b, err := json.Marshal(ev)
	if err != nil || !strings.Contains(string(b), `"measured":0.3333333333333333,"required":1,"total":true`) {
		t.Errorf("evidence JSON %s, %v", b, err)
	}
}

func TestAvailabilityListsBoundedNotOK(t *testing.T) {
	var h history.History
	for i := range 50 {
		h = append(h, op("read", history.Fail, int64(i)))
	}
	ev := Availability(0, true).Check(h).Evidence.(AvailabilityEvidence)
	if len(ev.NotOK) != maxNotOKListed {
		t.Errorf("listed %d operations, want %d", len(ev.NotOK), maxNotOKListed)
	}
}

func TestParseAvailability(t *testing.T) {
	for _, tc := range []struct {
		in       string
		required float64
		total    bool
	}{
		{"total", 1, true},
		{"0.99", 0.99, false},
		{"0", 0, false},
		{"1", 1, false},
	} {
		required, total, err := ParseAvailability(tc.in)
		if err != nil || required != tc.required || total != tc.total {
			t.Errorf("ParseAvailability(%q) = %v, %v, %v", tc.in, required, total, err)
		}
	}
	for _, bad := range []string{"", "all", "1.5", "-0.1", "NaN", "99%"} {
		if _, _, err := ParseAvailability(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseAvailability(%q) error %v, want one naming the input", bad, err)
		}
	}
}
