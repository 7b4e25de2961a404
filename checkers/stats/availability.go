package stats

import (
	"fmt"
	"strconv"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// maxNotOKListed bounds the unsuccessful operations a total availability
// verdict lists as evidence.
const maxNotOKListed = 10

// Availability is Maelstrom's --availability check. It is invalid when the
// availability of non-final operations is below required (a fraction in
// [0, 1]), or, with total, when any operation at all, final ones included,
// did not succeed.
func Availability(required float64, total bool) checkers.Checker {
	return &availability{required: required, total: total}
}

// ParseAvailability reads Maelstrom's --availability flag: "total" or a
// fraction such as "0.99".
func ParseAvailability(s string) (required float64, total bool, err error) {
	if s == "total" {
		return 1, true, nil
	}
	required, err = strconv.ParseFloat(s, 64)
	if err != nil || !(required >= 0 && required <= 1) {
		return 0, false, fmt.Errorf("availability %q: want \"total\" or a fraction between 0 and 1", s)
	}
	return required, false, nil
}

type availability struct {
	required float64
	total    bool
}

func (*availability) Name() string { return "availability" }

// AvailabilityEvidence is what an availability verdict rests on.
type AvailabilityEvidence struct {
	Measured *float64 `json:"measured"` // ok / invoked over non-final operations
	Required float64  `json:"required"`
	Total    bool     `json:"total"` // every operation had to succeed
	Tally    Tally    `json:"tally"`
	// NotOK are the first operations that did not succeed, when total.
	NotOK []NotOK `json:"not_ok,omitempty"`
}

// NotOK is an operation that failed or ended indefinitely.
type NotOK struct {
	Index   int             `json:"index"`
	Process int             `json:"process"`
	F       string          `json:"f"`
	Type    history.Outcome `json:"type"`
	Error   *history.Error  `json:"error,omitempty"`
	Final   bool            `json:"final,omitempty"`
}

func (a *availability) Check(h history.History) checkers.Result {
	tally := Compute(h, nil).Total
	r := checkers.Result{Checker: a.Name()}
	ev := AvailabilityEvidence{Measured: tally.Availability, Required: a.required, Total: a.total, Tally: tally}
	switch {
	case a.total:
		ev.Required = 1
		ev.NotOK = notOK(h)
		r.Valid, r.Summary = judgeTotal(tally)
	case !(a.required >= 0 && a.required <= 1):
		r.Valid = checkers.Unknown
		r.Summary = fmt.Sprintf("required availability %v is not a fraction between 0 and 1", a.required)
	default:
		r.Valid, r.Summary = judgeFraction(tally, a.required)
	}
	r.Evidence = ev
	return r
}

// judgeFraction compares the main phase's availability with the required.
func judgeFraction(t Tally, required float64) (checkers.Validity, string) {
	if t.Availability == nil {
		return checkers.Unknown, "availability undefined: no operations outside the final phase"
	}
	measured := *t.Availability
	verdict, verb := checkers.Valid, "meets"
	if measured < required {
		verdict, verb = checkers.Invalid, "is below"
	}
	return verdict, fmt.Sprintf("availability %v over %d operations %s the required %v",
		measured, t.Invoked-t.Final, verb, required)
}

// judgeTotal demands that every operation succeeded.
func judgeTotal(t Tally) (checkers.Validity, string) {
	failed := t.Invoked - t.OK
	switch {
	case t.Invoked == 0:
		return checkers.Unknown, "total availability undefined: no operations"
	case failed > 0:
		return checkers.Invalid, fmt.Sprintf("total availability required, but %d of %d operations were not ok (%d fail, %d info)",
			failed, t.Invoked, t.Fail, t.Info)
	}
	return checkers.Valid, fmt.Sprintf("total availability: all %d operations ok", t.Invoked)
}

// notOK lists the first operations that did not succeed.
func notOK(h history.History) []NotOK {
	var out []NotOK
	for _, op := range h {
		if len(out) == maxNotOKListed {
			break
		}
		if op != nil && op.Outcome != history.OK {
			out = append(out, NotOK{Index: op.Index, Process: op.Process, F: op.F, Type: op.Outcome, Error: op.Error, Final: op.Final})
		}
	}
	return out
}
