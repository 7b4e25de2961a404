package lock

import (
	"fmt"
	"slices"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/latency"
	"github.com/ddbbench/ddbbench/checkers/stats"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/lockops"
)

// StatsOptions are what the lock figures need beyond the history.
type StatsOptions struct {
	// Faults are the nemesis's windows, which place each acquisition in a
	// phase of the run (latency.PhaseOf).
	Faults []history.Fault
	// ServerMessages is the number of messages between server nodes (and
	// from them to services) the run's network carried.
	ServerMessages int64
}

// Stats computes the lock figures. Its verdict is valid unless no lock was
// ever granted, which leaves the run proving nothing about mutual
// exclusion: unknown.
func Stats(opts StatsOptions) checkers.Checker { return statsChecker{opts} }

type statsChecker struct{ opts StatsOptions }

func (statsChecker) Name() string { return "lock-stats" }

// Figures are a lock run's figures. An acquisition is one client's wish
// for a lock: its attempts until it was granted, or until the client gave
// up after refusals (patience), or until the run ended without an answer.
type Figures struct {
	Acquisitions int `json:"acquisitions"`
	Granted      int `json:"granted"`
	GaveUp       int `json:"gave_up"`    // refused or failed until the client's patience ran out
	Unanswered   int `json:"unanswered"` // the last attempt got no answer
	Attempts     int `json:"attempts"`   // acquire requests, retries included
	Refusals     int `json:"refusals"`   // attempts refused with lock-held

	// Availability is granted / acquisitions over the main phase; during
	// faults, over the acquisitions that began while a fault was active.
	Availability             *float64 `json:"availability"`
	AvailabilityDuringFaults *float64 `json:"availability_during_faults"`
	// Latency runs from the acquisition's intended start (its arrival in
	// the open-loop schedule) to the grant, over granted acquisitions,
	// overall and by the phase the acquisition began in.
	Latency        latency.Quantiles                   `json:"latency"`
	LatencyByPhase map[latency.Phase]latency.Quantiles `json:"latency_by_phase"`
	// Hold runs from the grant's arrival to the release's sending.
	Hold latency.Quantiles `json:"hold"`

	// CriticalSections completed (their write accepted); Skipped are grants
	// whose holder did not complete one: its lease had run out by its own
	// clock, or the fenced resource refused it.
	CriticalSections int `json:"critical_sections"`
	Skipped          int `json:"skipped"`

	ServerMessagesPerAcquisition float64 `json:"server_messages_per_acquisition"`
	ServerMessagesPerGrant       float64 `json:"server_messages_per_grant"`

	Fairness Fairness `json:"fairness"`
	// GrantsByNode counts grants by the node whose lock table granted them,
	// when the service says (granted_by).
	GrantsByNode map[string]int `json:"grants_by_node,omitempty"`
}

// Fairness is how evenly the grants went to the clients that wanted locks:
// the fewest and most grants a client got, and Jain's index (1 when every
// client got as many, 1/n when one got them all).
type Fairness struct {
	Clients int     `json:"clients"`
	Min     int     `json:"min"`
	Max     int     `json:"max"`
	Jain    float64 `json:"jain"`
}

func (c statsChecker) Check(h history.History) checkers.Result {
	res := checkers.Result{Checker: c.Name()}
	ops, err := lockops.Parse(h)
	if err != nil {
		res.Valid, res.Summary = checkers.Unknown, "cannot compute lock figures: "+err.Error()
		return res
	}
	f := Compute(ops, c.opts)
	res.Evidence = f
	if f.Granted == 0 {
		res.Valid = checkers.Unknown
		res.Summary = fmt.Sprintf("no lock was granted in %d acquisitions: the run shows nothing about mutual exclusion", f.Acquisitions)
		return res
	}
	res.Valid = checkers.Valid
	avail := "-"
	if f.Availability != nil {
		avail = fmt.Sprintf("%.3f", *f.Availability)
	}
	res.Summary = fmt.Sprintf("%d of %d acquisitions granted (availability %s), p50 %.1f ms, p99 %.1f ms; %.1f server messages per acquisition; %d critical sections, %d skipped",
		f.Granted, f.Acquisitions, avail, f.Latency.P50, f.Latency.P99, f.ServerMessagesPerAcquisition, f.CriticalSections, f.Skipped)
	return res
}

// acquisitionOf gathers one owner's operations.
type acquisitionOf struct {
	first, last, grant *lockops.Op
	release            *lockops.Op // the first release sent
	wrote              bool
}

// Compute derives the figures from a parsed lock history.
func Compute(ops []lockops.Op, opts StatsOptions) Figures {
	f := Figures{LatencyByPhase: map[latency.Phase]latency.Quantiles{}}
	byOwner := map[string]*acquisitionOf{}
	var owners []string
	perClient := map[string]int{}
	for i := range ops {
		o := &ops[i]
		if o.Owner == "" {
			continue
		}
		a := byOwner[o.Owner]
		if a == nil {
			a = &acquisitionOf{}
			byOwner[o.Owner] = a
			owners = append(owners, o.Owner)
		}
		switch o.F {
		case lockops.Acquire:
			f.Attempts++
			if o.Code != 0 {
				f.Refusals++
			}
			if a.first == nil || o.Invoke < a.first.Invoke {
				a.first = o
			}
			if a.last == nil || o.Invoke > a.last.Invoke {
				a.last = o
			}
			if o.Granted() && a.grant == nil {
				a.grant = o
			}
			if _, seen := perClient[o.Client]; !seen {
				perClient[o.Client] = 0
			}
		case lockops.Write:
			if o.Accepted() {
				a.wrote = true
			}
		case lockops.Release:
			if a.release == nil || o.Invoke < a.release.Invoke {
				a.release = o
			}
		}
	}

	// Acquisitions as operations of their own, so that availability and
	// latency by phase come from the same code as every other figure.
	var summary, granted history.History
	var holds []time.Duration
	for _, owner := range owners {
		a := byOwner[owner]
		if a.first == nil {
			continue
		}
		f.Acquisitions++
		op := &history.Op{F: "acquisition", Client: a.first.Client, Intended: a.first.Intended, Invoke: a.first.Invoke, Complete: a.last.Complete}
		switch {
		case a.grant != nil:
			f.Granted++
			op.Outcome, op.Complete = history.OK, a.grant.Complete
			granted = append(granted, op)
			perClient[a.grant.Client]++
			if a.grant.Grant.GrantedBy != "" {
				if f.GrantsByNode == nil {
					f.GrantsByNode = map[string]int{}
				}
				f.GrantsByNode[a.grant.Grant.GrantedBy]++
			}
			if a.wrote {
				f.CriticalSections++
			} else {
				f.Skipped++
			}
			if a.release != nil {
				holds = append(holds, time.Duration(a.release.Invoke-a.grant.Complete))
			}
		case a.last.Outcome == history.Info:
			f.Unanswered++
			op.Outcome = history.Info
		default:
			f.GaveUp++
			op.Outcome = history.Fail
		}
		summary = append(summary, op)
	}
	t := stats.Compute(summary, opts.Faults).Total
	f.Availability, f.AvailabilityDuringFaults = t.Availability, t.AvailabilityDuringFaults
	lat := latency.Compute(granted, opts.Faults)
	f.Latency, f.LatencyByPhase = lat.Overall, lat.ByPhase
	f.Hold = latency.Of(holds)
	if f.Acquisitions > 0 {
		f.ServerMessagesPerAcquisition = float64(opts.ServerMessages) / float64(f.Acquisitions)
	}
	if f.Granted > 0 {
		f.ServerMessagesPerGrant = float64(opts.ServerMessages) / float64(f.Granted)
	}
	f.Fairness = fairness(perClient)
	return f
}

func fairness(perClient map[string]int) Fairness {
	fr := Fairness{Clients: len(perClient)}
	if len(perClient) == 0 {
		return fr
	}
	counts := make([]int, 0, len(perClient))
	for _, n := range perClient {
		counts = append(counts, n)
	}
	fr.Min, fr.Max = slices.Min(counts), slices.Max(counts)
	var sum, squares float64
	for _, n := range counts {
		sum += float64(n)
		squares += float64(n) * float64(n)
	}
	if squares > 0 {
		fr.Jain = sum * sum / (float64(len(counts)) * squares)
	}
	return fr
}
