// Package latency reports operation latency quantiles from HdrHistograms:
// per operation function, per outcome, per fault phase and overall.
//
// Latency runs from an operation's intended start to its completion, so a
// system that falls behind an open-loop schedule is charged for the wait
// (no coordinated omission); service time, from the actual invocation, is
// reported beside it.
package latency

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ddbbench/ddbbench/history"
)

// Histograms record microseconds from 1 µs to an hour with three
// significant figures: HDR reports the top of each value's bucket, so a
// figure errs high by at most 0.1%.
const (
	lowestMicros  = 1
	highestMicros = int64(time.Hour / time.Microsecond)
	sigFigs       = 3
)

// Phase is when an operation was invoked relative to the nemesis's faults.
type Phase string

const (
	Before Phase = "before" // before the first fault started; every op when there were no faults
	During Phase = "during" // while any fault was active
	After  Phase = "after"  // after the first fault while none was active, and the final phase
)

var phases = []Phase{Before, During, After}

// PhaseOf places an operation in a phase of the run.
func PhaseOf(op *history.Op, faults []history.Fault) Phase {
	if len(faults) == 0 {
		return Before
	}
	first := faults[0].Start
	for _, f := range faults[1:] {
		first = min(first, f.Start)
	}
	switch {
	case op.Final:
		// Final operations follow the healing, whatever the fault windows
		// say about a fault left open until the run's end.
		return After
	case history.Active(faults, op.Invoke):
		return During
	case op.Invoke < first:
		return Before
	}
	return After
}

// Quantiles summarize one histogram, in milliseconds.
type Quantiles struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// Report is a history's latency figures. Operations that ended info never
// completed, so they are counted in Info and in no histogram.
type Report struct {
	Overall     Quantiles                     `json:"overall"`      // every completed operation
	ServiceTime Quantiles                     `json:"service_time"` // every completed operation, from invocation
	ByF         map[string]Quantiles          `json:"by_f"`
	ByOutcome   map[history.Outcome]Quantiles `json:"by_outcome"` // always ok and fail
	ByPhase     map[Phase]Quantiles           `json:"by_phase"`   // always before, during and after
	Info        int                           `json:"info"`
	// Clamped counts values outside [0, 1 h], recorded at the nearer
	// bound: a negative one means a clock or recording bug.
	Clamped int `json:"clamped,omitempty"`
}

// cell is the finest split of operations; every other figure is a merge of
// cells, never a second recording.
type cell struct {
	f       string
	outcome history.Outcome
	phase   Phase
}

// Compute builds a latency report. Faults are the nemesis's active windows,
// which decide each operation's phase.
func Compute(h history.History, faults []history.Fault) Report {
	var r Report
	cells := make(map[cell]*hdrhistogram.Histogram)
	service := newHistogram()
	for _, op := range h {
		if op == nil {
			continue
		}
		if op.Outcome == history.Info {
			r.Info++
			continue
		}
		c := cell{f: op.F, outcome: op.Outcome, phase: PhaseOf(op, faults)}
		if cells[c] == nil {
			cells[c] = newHistogram()
		}
		r.Clamped += record(cells[c], op.Latency())
		r.Clamped += record(service, op.ServiceTime())
	}

	overall := newHistogram()
	byF := make(map[string]*hdrhistogram.Histogram)
	byOutcome := map[history.Outcome]*hdrhistogram.Histogram{history.OK: newHistogram(), history.Fail: newHistogram()}
	byPhase := make(map[Phase]*hdrhistogram.Histogram)
	for _, p := range phases {
		byPhase[p] = newHistogram()
	}
	for c, hist := range cells {
		overall.Merge(hist)
		mergeInto(byF, c.f, hist)
		mergeInto(byOutcome, c.outcome, hist)
		mergeInto(byPhase, c.phase, hist)
	}

	r.Overall = quantiles(overall)
	r.ServiceTime = quantiles(service)
	r.ByF = summarize(byF)
	r.ByOutcome = summarize(byOutcome)
	r.ByPhase = summarize(byPhase)
	return r
}

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(lowestMicros, highestMicros, sigFigs)
}

// record adds a duration in microseconds, clamped into the histogram's
// range; it returns 1 if it had to clamp.
func record(h *hdrhistogram.Histogram, d time.Duration) (clamped int) {
	us := d.Microseconds()
	switch {
	case us < 0:
		us, clamped = 0, 1
	case us > highestMicros:
		us, clamped = highestMicros, 1
	}
	// Cannot fail: the value is in range.
	_ = h.RecordValue(us)
	return clamped
}

func mergeInto[K comparable](m map[K]*hdrhistogram.Histogram, k K, from *hdrhistogram.Histogram) {
	if m[k] == nil {
		m[k] = newHistogram()
	}
	m[k].Merge(from)
}

func summarize[K comparable](m map[K]*hdrhistogram.Histogram) map[K]Quantiles {
	out := make(map[K]Quantiles, len(m))
	for k, h := range m {
		out[k] = quantiles(h)
	}
	return out
}

func quantiles(h *hdrhistogram.Histogram) Quantiles {
	if h.TotalCount() == 0 {
		return Quantiles{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Quantiles{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
	}
}

// Of summarizes durations that are not operations' latencies (how long
// locks were held, say) with the same histograms and quantiles.
func Of(ds []time.Duration) Quantiles {
	h := newHistogram()
	for _, d := range ds {
		record(h, d)
	}
	return quantiles(h)
}
