// Package stats counts a history's operations by outcome and measures
// availability: the fraction of invoked operations that succeeded, overall
// and while faults were active.
package stats

import "github.com/ddbbench/ddbbench/history"

// Tally counts operations by outcome and gives their availability.
//
// Final operations (issued after healing, such as final reads) are counted
// but left out of availability, which measures the main phase.
type Tally struct {
	Invoked int `json:"invoked"` // ok + fail + info
	OK      int `json:"ok"`
	Fail    int `json:"fail"`
	Info    int `json:"info"`
	Final   int `json:"final"` // of those invoked, how many in the final phase

	// Availability is ok / invoked over the operations that were not
	// final; null when there were none.
	Availability *float64 `json:"availability"`
	// DuringFaults is how many non-final operations were invoked while a
	// fault was active; AvailabilityDuringFaults is ok / invoked over them,
	// null when there were none.
	DuringFaults             int      `json:"during_faults"`
	AvailabilityDuringFaults *float64 `json:"availability_during_faults"`
}

// Stats are a history's tallies, in total and per operation function.
type Stats struct {
	Total Tally            `json:"total"`
	ByF   map[string]Tally `json:"by_f"`
}

// Compute tallies a history. Faults are the nemesis's active windows; an
// operation counts as during a fault if it was invoked inside one.
func Compute(h history.History, faults []history.Fault) Stats {
	var total counter
	byF := make(map[string]*counter)
	for _, op := range h {
		if op == nil {
			continue
		}
		duringFault := history.Active(faults, op.Invoke)
		total.add(op, duringFault)
		c := byF[op.F]
		if c == nil {
			c = new(counter)
			byF[op.F] = c
		}
		c.add(op, duringFault)
	}
	s := Stats{Total: total.tally(), ByF: make(map[string]Tally, len(byF))}
	for f, c := range byF {
		s.ByF[f] = c.tally()
	}
	return s
}

// counter accumulates a Tally and the ok/invoked pairs its ratios need.
type counter struct {
	Tally
	mainOK, mainInvoked   int // non-final operations
	faultOK, faultInvoked int // non-final operations invoked during a fault
}

func (c *counter) add(op *history.Op, duringFault bool) {
	ok := op.Outcome == history.OK
	c.Invoked++
	switch op.Outcome {
	case history.OK:
		c.OK++
	case history.Fail:
		c.Fail++
	default:
		// Anything that is not a definite answer may have happened: info.
		c.Info++
	}
	if op.Final {
		c.Final++
		return
	}
	c.mainInvoked++
	if ok {
		c.mainOK++
	}
	if duringFault {
		c.faultInvoked++
		if ok {
			c.faultOK++
		}
	}
}

func (c *counter) tally() Tally {
	t := c.Tally
	t.Availability = ratio(c.mainOK, c.mainInvoked)
	t.DuringFaults = c.faultInvoked
	t.AvailabilityDuringFaults = ratio(c.faultOK, c.faultInvoked)
	return t
}

// ratio is ok / invoked, or nil where nothing was invoked and availability
// is undefined.
func ratio(ok, invoked int) *float64 {
	if invoked == 0 {
		return nil
	}
	r := float64(ok) / float64(invoked)
	return &r
}
