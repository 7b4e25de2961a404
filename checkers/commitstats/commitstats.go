// Package commitstats measures what an atomic commitment protocol costs
// and how long it blocks, from the nodes' commit reports
// (history.CommitEvent) and the run's message and log counters:
//
//   - blocking: how long participants held their locks in doubt (prepared,
//     the outcome unknown) and how long they were blocked (in doubt with
//     nobody reachable who knew), per fault phase, and how many were still
//     in doubt or blocked when the run ended;
//   - latency: from a coordinator starting the protocol (every lock held)
//     to its decision, and to the last participant applying it, in
//     milliseconds and in message delays (divided by the mean network
//     latency: exact when latency is constant);
//   - costs: the protocol's messages and the forced log writes per
//     committed attempt, the participants per committed attempt, and
//     aborted attempts by cause.
package commitstats

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ddbbench/ddbbench/history"
)

// Options are what the measures need beside the reports.
type Options struct {
	Faults []history.Fault
	End    int64 // when the run ended, ns
	// Latency is the mean network latency, the unit of a message delay;
	// zero leaves the delays out.
	Latency time.Duration
	// ProtocolMessages counts the protocol's messages between servers
	// (requests and replies); ForcedWrites the syncs that wrote something.
	ProtocolMessages int64
	ForcedWrites     int64
}

// Phases splits a time over the fault phases, in seconds: before the first
// fault, while any fault was active, and after (between faults, and once
// they healed).
type Phases struct {
	Before float64 `json:"before_s"`
	During float64 `json:"during_s"`
	After  float64 `json:"after_s"`
}

// Total is the time over every phase.
func (p Phases) Total() float64 { return p.Before + p.During + p.After }

// Stats are a run's commit figures.
type Stats struct {
	// Attempts the coordinators decided, and the aborted ones by cause;
	// AbortRate is aborted / decided.
	Committed int            `json:"committed"`
	Aborted   int            `json:"aborted"`
	Aborts    map[string]int `json:"aborts,omitempty"`
	AbortRate float64        `json:"abort_rate"`
	// WritersPerCommit are the participants that reported applying a
	// committed attempt's writes, on average.
	WritersPerCommit float64 `json:"writers_per_commit"`
	// Decide is from a coordinator starting the protocol to its decision
	// (when the client can be told), Learn to the last participant
	// applying it; medians in ms and in message delays.
	DecideMs     float64 `json:"decide_p50_ms"`
	LearnMs      float64 `json:"learn_p50_ms"`
	DecideDelays float64 `json:"decide_p50_delays,omitempty"`
	LearnDelays  float64 `json:"learn_p50_delays,omitempty"`
	// Costs per committed attempt.
	MessagesPerCommit     float64 `json:"protocol_messages_per_commit"`
	ForcedWritesPerCommit float64 `json:"forced_writes_per_commit"`
	// Blocking: participant-seconds in doubt and blocked, per phase; the
	// longest blocked stretch; attempts some participant was blocked on;
	// and what was still in doubt, or blocked, when the run ended.
	InDoubt      Phases  `json:"in_doubt"`
	Blocked      Phases  `json:"blocked"`
	BlockedMaxS  float64 `json:"blocked_max_s"`
	BlockedTxns  int     `json:"blocked_txns"`
	InDoubtAtEnd int     `json:"in_doubt_at_end"`
	BlockedAtEnd int     `json:"blocked_at_end"`
}

// Compute measures the reports.
func Compute(events []history.CommitEvent, o Options) *Stats {
	s := &Stats{Aborts: map[string]int{}}
	type key struct{ txn, node string }
	started := map[string]int64{}   // coordinator's committing, by attempt
	decided := map[string]int64{}   // coordinator's commit
	learned := map[string]int64{}   // last participant's committed
	appliers := map[string]int{}    // participants that committed
	doubtFrom := map[key]int64{}    // in doubt since
	blockedFrom := map[key]int64{}  // blocked since
	blockedTxn := map[string]bool{} // some participant was blocked on it
	var doubts, blocks [][2]int64
	for _, e := range events {
		k := key{e.Txn, e.Node}
		switch e.State {
		case history.TxnCommitting:
			started[e.Txn] = e.Time
		case history.TxnCommit:
			s.Committed++
			decided[e.Txn] = e.Time
		case history.TxnAbort:
			s.Aborted++
			s.Aborts[e.Cause]++
		case history.TxnPrepared:
			if _, ok := doubtFrom[k]; !ok { // a recovery reports it again
				doubtFrom[k] = e.Time
			}
		case history.TxnBlocked:
			if _, ok := blockedFrom[k]; !ok {
				blockedFrom[k] = e.Time
				blockedTxn[e.Txn] = true
			}
		case history.TxnCommitted, history.TxnAborted:
			if e.State == history.TxnCommitted {
				appliers[e.Txn]++
				learned[e.Txn] = max(learned[e.Txn], e.Time)
			}
			if t, ok := doubtFrom[k]; ok {
				doubts = append(doubts, [2]int64{t, e.Time})
				delete(doubtFrom, k)
			}
			if t, ok := blockedFrom[k]; ok {
				blocks = append(blocks, [2]int64{t, e.Time})
				delete(blockedFrom, k)
			}
		}
	}
	if n := s.Committed + s.Aborted; n > 0 {
		s.AbortRate = float64(s.Aborted) / float64(n)
	}
	if len(s.Aborts) == 0 {
		s.Aborts = nil
	}
	// Still in doubt, or blocked, at the end.
	s.InDoubtAtEnd, s.BlockedAtEnd = len(doubtFrom), len(blockedFrom)
	for _, k := range sortedKeys(doubtFrom) {
		doubts = append(doubts, [2]int64{doubtFrom[k], o.End})
	}
	for _, k := range sortedKeys(blockedFrom) {
		blocks = append(blocks, [2]int64{blockedFrom[k], o.End})
	}
	windows := merged(o.Faults)
	for _, iv := range doubts {
		s.InDoubt.add(split(iv, windows))
	}
	for _, iv := range blocks {
		s.Blocked.add(split(iv, windows))
		s.BlockedMaxS = max(s.BlockedMaxS, seconds(iv[1]-iv[0]))
	}
	s.BlockedTxns = len(blockedTxn)

	var decide, learn []float64
	commits := 0
	for txn, t := range decided {
		if t0, ok := started[txn]; ok {
			decide = append(decide, seconds(t-t0)*1000)
			if l, ok := learned[txn]; ok {
				learn = append(learn, seconds(l-t0)*1000)
			}
		}
		s.WritersPerCommit += float64(appliers[txn])
		commits++
	}
	s.DecideMs, s.LearnMs = median(decide), median(learn)
	if o.Latency > 0 {
		unit := float64(o.Latency) / float64(time.Millisecond)
		s.DecideDelays, s.LearnDelays = s.DecideMs/unit, s.LearnMs/unit
	}
	if commits > 0 {
		s.WritersPerCommit /= float64(commits)
		s.MessagesPerCommit = float64(o.ProtocolMessages) / float64(commits)
		s.ForcedWritesPerCommit = float64(o.ForcedWrites) / float64(commits)
	}
	return s
}

func (p *Phases) add(q Phases) {
	p.Before += q.Before
	p.During += q.During
	p.After += q.After
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// merged are the fault windows, overlapping ones joined, in time order.
func merged(faults []history.Fault) [][2]int64 {
	var ws [][2]int64
	for _, f := range faults {
		ws = append(ws, [2]int64{f.Start, f.End})
	}
	slices.SortFunc(ws, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var out [][2]int64
	for _, w := range ws {
		if n := len(out); n > 0 && w[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], w[1])
			continue
		}
		out = append(out, w)
	}
	return out
}

// split divides an interval over the phases the windows define.
func split(iv [2]int64, windows [][2]int64) Phases {
	var p Phases
	if iv[1] <= iv[0] {
		return p
	}
	if len(windows) == 0 {
		p.Before = seconds(iv[1] - iv[0])
		return p
	}
	first := windows[0][0]
	if iv[0] < first {
		p.Before = seconds(min(iv[1], first) - iv[0])
	}
	during := int64(0)
	for _, w := range windows {
		lo, hi := max(iv[0], w[0]), min(iv[1], w[1])
		if hi > lo {
			during += hi - lo
		}
	}
	p.During = seconds(during)
	p.After = seconds(iv[1]-iv[0]) - p.Before - p.During
	return p
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func sortedKeys[K interface {
	comparable
}, V any](m map[K]V) []K {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b K) int { return cmp.Compare(fmtKey(a), fmtKey(b)) })
	return keys
}

func fmtKey[K any](k K) string { return fmt.Sprint(k) }
