package elle

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
)

var _ checkers.Checker = New(Options{Workload: ListAppend})

func TestValidateModels(t *testing.T) {
	for _, m := range []string{"strict-serializable", "serializable", "snapshot-isolation", "repeatable-read",
		"read-committed", "read-uncommitted", "strong-session-serializable", "strong-session-snapshot-isolation",
		"strong-snapshot-isolation", "strong-session-read-committed", "PL-2", "update-serializable"} {
		if err := ValidateModels([]string{m}); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	err := ValidateModels([]string{"serializable", "snapshot"})
	if err == nil || !strings.Contains(err.Error(), `"snapshot"`) || !strings.Contains(err.Error(), "snapshot-isolation") {
		t.Fatalf("want an error naming the bad model and the valid ones, got %v", err)
	}
	if err := (Options{Workload: "txn-counter"}).Validate(); err == nil {
		t.Fatal("unknown workload accepted")
	}
}

// The boundaries Elle's own tests expect for single anomalies
// (elle/test/elle/list_append_test.clj, rw_register_test.clj).
func TestBoundaryMatchesElle(t *testing.T) {
	for _, c := range []struct {
		anomalies []string
		not       []string
	}{
		{[]string{"G0"}, []string{"read-uncommitted"}},
		{[]string{"G1c"}, []string{"read-committed"}},
		{[]string{"G1a"}, []string{"read-committed"}},
		{[]string{"G-single-item"}, []string{"consistent-view", "repeatable-read"}},
		{[]string{"G-nonadjacent-item"}, []string{"repeatable-read", "snapshot-isolation"}},
		{[]string{"G2-item"}, []string{"repeatable-read"}},
		{[]string{"lost-update"}, []string{"cursor-stability", "update-atomic"}},
		{[]string{"internal"}, []string{"read-atomic"}},
		{[]string{"future-read"}, []string{"read-committed"}},
		{[]string{"G-single-item-realtime"}, []string{"strong-snapshot-isolation"}},
		{[]string{"G-single-item-process"}, []string{"strong-session-snapshot-isolation"}},
		{[]string{"G1c-process"}, []string{"strong-session-read-committed"}},
		{[]string{"duplicate-elements", "G1c"}, []string{"read-uncommitted"}},
		{[]string{"PL-SI-cycle-exists", "G2-item"}, []string{"repeatable-read", "snapshot-isolation"}},
	} {
		not, _ := boundary(c.anomalies)
		if !reflect.DeepEqual(not, c.not) {
			t.Errorf("%v: not %v, Elle says %v", c.anomalies, not, c.not)
		}
	}
}

func TestProhibited(t *testing.T) {
	p := prohibitedAnomalies([]string{"read-committed"})
	for _, a := range []string{"G0", "G1a", "G1b", "G1c", "incompatible-order", "dirty-update", "future-read"} {
		if !p[a] {
			t.Errorf("read-committed should prohibit %s", a)
		}
	}
	for _, a := range []string{"G2-item", "G-single-item", "lost-update", "internal", "G1c-realtime"} {
		if p[a] {
			t.Errorf("read-committed should allow %s", a)
		}
	}
	s := prohibitedAnomalies([]string{"strict-serializable"})
	for _, a := range []string{"G2-item-realtime", "G-single-item-realtime", "G2-item", "internal", "lost-update", "G1c-process"} {
		if !s[a] {
			t.Errorf("strict-serializable should prohibit %s", a)
		}
	}
	if prohibitedAnomalies([]string{"serializable"})["G-single-item-realtime"] {
		t.Error("serializable should allow real-time anomalies")
	}
}

func TestSearchOrder(t *testing.T) {
	names := []string{"G2-item-realtime", "G0-process", "G2-item", "G-single-item", "G1c", "G0", "G-nonadjacent-item", "G0-realtime", "G1c-process"}
	byDepth(names)
	// Elle sorts by depth, then by name: G-single-item has nothing above it
	// in either graph, so it comes first, as in elle.consistency-model.
	want := []string{"G-single-item", "G0", "G-nonadjacent-item", "G1c", "G2-item", "G0-process", "G1c-process", "G0-realtime", "G2-item-realtime"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
}
