package elle

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// A history read back from history.jsonl (generic JSON values) is judged
// exactly as the one the workload recorded, and the evidence encodes.
func TestHistoryJSONLRoundTrip(t *testing.T) {
	for _, w := range []string{ListAppend, RWRegister} {
		c := defaultGen(w, 2000)
		c.failRate, c.infoRate = 0.05, 0.05
		h := generate(c)
		// Make it interesting: one stale read.
		cands := staleCandidates(h, w)
		op := h[cands[len(cands)/2][0]]
		op.Result = nil // the node answered nothing useful: reads fall back to the request
		var buf bytes.Buffer
		if err := h.WriteJSONL(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := history.ReadJSONL(&buf)
		if err != nil {
			t.Fatal(err)
		}
		chk := New(Options{Workload: "txn-" + w, Name: "elle-" + w})
		a, b := chk.Check(h), chk.Check(back)
		if a.Checker != "elle-"+w || a.Valid != b.Valid || a.Summary != b.Summary {
			t.Fatalf("%s: recorded %s %q, read back %s %q", w, a.Valid, a.Summary, b.Valid, b.Summary)
		}
		ea, eb := a.Evidence.(*Evidence), b.Evidence.(*Evidence)
		if !reflect.DeepEqual(ea.AnomalyTypes, eb.AnomalyTypes) || ea.Edges != eb.Edges {
			t.Fatalf("%s: evidence differs: %v/%d vs %v/%d", w, ea.AnomalyTypes, ea.Edges, eb.AnomalyTypes, eb.Edges)
		}
		if a.Valid == checkers.Valid {
			t.Fatalf("%s: a read of nothing where something was written should be caught: %s", w, a.Summary)
		}
		if _, err := json.Marshal(checkers.Result{Valid: a.Valid, Evidence: a.Evidence}); err != nil {
			t.Fatalf("%s: evidence does not encode: %v", w, err)
		}
	}
}
