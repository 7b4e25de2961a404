// Package txnstats measures what a transactional store's concurrency
// control costs: committed and aborted transactions per second, aborted
// attempts by cause, restarts per committed transaction, commit latency per
// fault phase and messages per committed transaction.
//
// Aborts come from the stores' replies (an optional "aborts" list of the
// attempts a coordinator aborted and retried). A deadlock victim is split
// in two with the harness's own wait-for graph, rebuilt from the nodes'
// reports: a victim that was on a cycle of the true graph at some moment
// broke a real deadlock; one that never was is a phantom, aborted for a
// cycle that existed only in the detector's stale view.
package txnstats

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/ddbbench/ddbbench/checkers/latency"
	"github.com/ddbbench/ddbbench/checkers/waitfor"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// Options are what the statistics need beside the history.
type Options struct {
	// Aborts reads an operation's aborted attempts from its result.
	Aborts   func(*history.Op) []txn.Abort
	Faults   []history.Fault
	Waits    []history.Wait
	Messages int64         // every message the run carried
	Main     time.Duration // the main phase, for rates
}

// Stats are a run's transaction figures.
type Stats struct {
	Transactions int `json:"transactions"` // invoked, final phase included
	Committed    int `json:"committed"`
	// GaveUp are transactions the store aborted too often and gave up on
	// (txn-conflict); Refused those that failed for another definite
	// reason, such as a transfer refused for want of funds.
	GaveUp     int `json:"gave_up"`
	Refused    int `json:"refused"`
	Indefinite int `json:"indefinite"`
	// CommittedPerS and AbortedPerS are main-phase committed transactions
	// and aborted attempts per second.
	CommittedPerS float64 `json:"committed_per_s"`
	AbortedPerS   float64 `json:"aborted_per_s"`
	// Attempts are the attempts behind the answered transactions; Aborts
	// counts the aborted ones by cause, victims split into victim (a real
	// deadlock) and phantom.
	Attempts  int            `json:"attempts"`
	Aborts    map[string]int `json:"aborts"`
	AbortRate float64        `json:"abort_rate"` // aborted attempts / attempts
	// RestartsPerCommit is the aborted attempts behind committed
	// transactions, per committed transaction.
	RestartsPerCommit float64 `json:"restarts_per_commit"`
	MessagesPerCommit float64 `json:"messages_per_commit"`
	// Commit is the latency of committed transactions, from the first
	// attempt's intended start; CommitByPhase splits it by fault phase.
	Commit        latency.Quantiles                   `json:"commit_latency"`
	CommitByPhase map[latency.Phase]latency.Quantiles `json:"commit_latency_by_phase"`
}

// Compute measures a history.
func Compute(h history.History, o Options) *Stats {
	s := &Stats{Aborts: map[string]int{}}
	var committed history.History
	mainCommitted, mainAborted := 0, 0
	var victims []txn.Abort
	abortedAt := map[string]float64{}
	for _, op := range h {
		if op == nil {
			continue
		}
		s.Transactions++
		var aborts []txn.Abort
		if o.Aborts != nil {
			aborts = o.Aborts(op)
		}
		switch op.Outcome {
		case history.OK:
			s.Committed++
			committed = append(committed, op)
			s.Attempts += len(aborts) + 1
			s.RestartsPerCommit += float64(len(aborts))
			if !op.Final {
				mainCommitted++
			}
		case history.Fail:
			s.Attempts += len(aborts)
			if op.Error != nil && op.Error.Code == maelstrom.TxnConflict {
				s.GaveUp++
			} else {
				s.Refused++
				s.Attempts++ // the last attempt ended the transaction without an abort
			}
		default:
			s.Indefinite++
		}
		for _, a := range aborts {
			s.Aborts[a.Cause]++
			if a.At > 0 {
				abortedAt[a.Attempt] = a.At
			}
			if a.Cause == txn.Victim {
				victims = append(victims, a)
			}
		}
		if !op.Final {
			mainAborted += len(aborts)
		}
	}
	if n := phantoms(victims, abortedAt, o.Waits); n > 0 {
		s.Aborts[txn.Phantom] = n
		if s.Aborts[txn.Victim] -= n; s.Aborts[txn.Victim] == 0 {
			delete(s.Aborts, txn.Victim)
		}
	}
	aborted := 0
	for _, n := range s.Aborts {
		aborted += n
	}
	if s.Attempts > 0 {
		s.AbortRate = float64(aborted) / float64(s.Attempts)
	}
	if s.Committed > 0 {
		s.RestartsPerCommit /= float64(s.Committed)
		s.MessagesPerCommit = float64(o.Messages) / float64(s.Committed)
	}
	if o.Main > 0 {
		s.CommittedPerS = float64(mainCommitted) / o.Main.Seconds()
		s.AbortedPerS = float64(mainAborted) / o.Main.Seconds()
	}
	rep := latency.Compute(committed, o.Faults)
	s.Commit, s.CommitByPhase = rep.Overall, rep.ByPhase
	return s
}

// phantoms counts the victims that, at the moment they were aborted, were
// on no cycle of the true wait-for graph among the transactions not
// aborted before them: a cycle seen in stale edges, or one that an earlier
// abort had already broken. Victims without a time are not judged.
func phantoms(victims []txn.Abort, abortedAt map[string]float64, waits []history.Wait) int {
	slices.SortStableFunc(victims, func(a, b txn.Abort) int { return cmp.Compare(a.At, b.At) })
	g := waitfor.New()
	next, n := 0, 0
	for _, v := range victims {
		if v.At == 0 {
			continue
		}
		// The graph just before the abort: reports made at the same instant
		// may already be its consequences (a local release).
		at := int64(math.Round(v.At * float64(time.Second)))
		for ; next < len(waits) && waits[next].Time < at; next++ {
			w := waits[next]
			g.Apply(w.Time, w.Node, w.Txn, w.Holders)
		}
		live := func(x string) bool { t, ok := abortedAt[x]; return !ok || t >= v.At }
		if !g.OnCycle(v.Attempt, live) {
			n++
		}
	}
	return n
}
