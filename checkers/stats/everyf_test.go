package stats

import (
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

func withErr(o *history.Op, code int) *history.Op {
	o.Error = &history.Error{Code: code}
	return o
}

func TestEveryFSucceeded(t *testing.T) {
	cases := []struct {
		name    string
		partial bool
		h       history.History
		want    checkers.Validity
		in      []string
	}{
		{name: "every type succeeded once",
			h:    history.History{op("read", history.OK, 1), op("write", history.Fail, 2), op("write", history.OK, 3)},
			want: checkers.Valid},
		{name: "no write ever succeeded",
			h:    history.History{op("read", history.OK, 1), op("write", history.Fail, 2), op("write", history.Info, 3), op("cas", history.OK, 4)},
			want: checkers.Invalid, in: []string{"write never succeeded (0 of 2: 1 fail, 1 info)"}},
		// Maelstrom's clients turn error 22 (precondition failed) into a
		// :fail, so a cas type whose every answer was 22 never succeeded.
		{name: "an ok with an error is not a success",
			h:    history.History{op("read", history.OK, 1), withErr(op("cas", history.OK, 2), 22), withErr(op("cas", history.OK, 3), 22)},
			want: checkers.Invalid, in: []string{"cas never succeeded (0 of 2"}},
		{name: "final operations count, as in Jepsen",
			h:    history.History{op("read", history.Fail, 1), final(op("read", history.OK, 5))},
			want: checkers.Valid},
		{name: "a run cut short cannot tell",
			partial: true,
			h:       history.History{op("read", history.OK, 1), op("write", history.Info, 2)},
			want:    checkers.Unknown, in: []string{"write never succeeded"}},
		{name: "no operations: nothing to judge",
			h:    history.History{},
			want: checkers.Valid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := EveryF(tc.partial).Check(tc.h)
			if res.Checker != "stats" || res.Valid != tc.want {
				t.Fatalf("%s %s, want stats %s: %s", res.Checker, res.Valid, tc.want, res.Summary)
			}
			for _, s := range tc.in {
				if !strings.Contains(res.Summary, s) {
					t.Errorf("summary %q lacks %q", res.Summary, s)
				}
			}
		})
	}
}
