// Package liveness checks that no transaction waits forever: a
// transaction that still waits for a lock Bound after the faults healed
// (and after it began to wait) neither committed nor aborted in all that
// time, and is deadlocked. The verdict is invalid, with the waiting
// transactions and, when they wait for each other in a cycle, the cycle:
// the global wait-for graph rebuilt from the nodes' reports
// (nodes.Env.WaitsFor), which no single node sees.
//
// Node binaries cannot report wait-for edges (Maelstrom's protocol has no
// channel for it), so for a process run the checker judges from the
// history alone: transactions that timed out with no fault active may be
// deadlocked, which makes the verdict unknown, not invalid.
package liveness

import (
	"fmt"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/waitfor"
	"github.com/ddbbench/ddbbench/history"
)

// Options are what the checker needs beside the history.
type Options struct {
	// Waits are the nodes' wait-for reports, in the order made; Reported
	// says the runtime carries them (the simulator does, processes do not).
	Waits    []history.Wait
	Reported bool
	Faults   []history.Fault
	End      int64 // when the run ended, ns
	// Bound is how long a transaction may wait after the faults healed.
	Bound time.Duration
}

// Stuck is one transaction that waits past the bound.
type Stuck struct {
	Txn      string   `json:"txn"`
	Node     string   `json:"node"`
	Since    float64  `json:"since_s"`
	WaitsFor []string `json:"waits_for"`
}

// Evidence says which transactions wait and for whom.
type Evidence struct {
	// Cycle is a deadlock: each waits for the next, the last for the
	// first.
	Cycle []Stuck `json:"cycle,omitempty"`
	// Stuck are the transactions waiting past the bound (at most
	// maxListed), oldest first; StuckCount counts them all.
	Stuck      []Stuck `json:"stuck,omitempty"`
	StuckCount int     `json:"stuck_count"`
	BoundS     float64 `json:"bound_s"`
	HealedS    float64 `json:"healed_s"` // when the last fault healed (0: none)
	Reports    int     `json:"reports"`
}

const maxListed = 20

// Checker is the liveness checker.
type Checker struct{ opts Options }

// New returns the checker.
func New(opts Options) *Checker { return &Checker{opts: opts} }

// Name implements checkers.Checker.
func (c *Checker) Name() string { return "liveness" }

// Check implements checkers.Checker.
func (c *Checker) Check(h history.History) checkers.Result {
	if !c.opts.Reported {
		return c.fromHistory(h)
	}
	g := waitfor.New()
	for _, w := range c.opts.Waits {
		g.Apply(w.Time, w.Node, w.Txn, w.Holders)
	}
	healed := int64(0)
	for _, f := range c.opts.Faults {
		healed = max(healed, min(f.End, c.opts.End))
	}
	ev := Evidence{BoundS: c.opts.Bound.Seconds(), HealedS: time.Duration(healed).Seconds(), Reports: len(c.opts.Waits)}
	waits := g.Waits()
	var stuck []waitfor.Wait
	for _, w := range waits {
		if time.Duration(c.opts.End-max(w.Since, healed)) >= c.opts.Bound {
			stuck = append(stuck, w)
		}
	}
	res := checkers.Result{Checker: c.Name(), Evidence: &ev}
	if len(stuck) == 0 {
		if cycle := waitfor.Cycle(waits); cycle != nil {
			res.Valid = checkers.Unknown
			res.Summary = fmt.Sprintf("a wait-for cycle %s formed less than %v before the run ended: too late to tell a deadlock", strings.Join(cycle, " -> "), c.opts.Bound)
			return res
		}
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("no transaction waited for a lock %v after the faults healed (%d wait reports)", c.opts.Bound, len(c.opts.Waits))
		return res
	}
	ev.StuckCount = len(stuck)
	for _, w := range stuck[:min(len(stuck), maxListed)] {
		ev.Stuck = append(ev.Stuck, toStuck(w))
	}
	res.Valid = checkers.Invalid
	if cycle := waitfor.Cycle(stuck); cycle != nil {
		byTxn := map[string]waitfor.Wait{}
		for _, w := range stuck {
			byTxn[w.Txn] = w
		}
		var hops []string
		for _, t := range cycle {
			ev.Cycle = append(ev.Cycle, toStuck(byTxn[t]))
			hops = append(hops, fmt.Sprintf("%s (at %s)", t, byTxn[t].Node))
		}
		since := byTxn[cycle[0]].Since
		for _, t := range cycle {
			since = max(since, byTxn[t].Since)
		}
		res.Summary = fmt.Sprintf("deadlock since %.3fs: %s waits for %s; %d transactions stuck",
			time.Duration(since).Seconds(), strings.Join(hops, " waits for "), cycle[0], len(stuck))
		return res
	}
	first := stuck[0]
	res.Summary = fmt.Sprintf("%d transactions waited for locks more than %v after the faults healed, in no cycle: %s has waited at %s since %.3fs for %s, which never finish (holders whose coordinator is gone?)",
		len(stuck), c.opts.Bound, first.Txn, first.Node, time.Duration(first.Since).Seconds(), strings.Join(first.Holders, ", "))
	return res
}

func toStuck(w waitfor.Wait) Stuck {
	return Stuck{Txn: w.Txn, Node: w.Node, Since: time.Duration(w.Since).Seconds(), WaitsFor: w.Holders}
}

// fromHistory judges a run whose nodes could not report their waits.
func (c *Checker) fromHistory(h history.History) checkers.Result {
	n := 0
	for _, op := range h {
		if op != nil && op.Outcome == history.Info && !history.Active(c.opts.Faults, op.Invoke) {
			n++
		}
	}
	res := checkers.Result{Checker: c.Name()}
	if n > 0 {
		res.Valid = checkers.Unknown
		res.Summary = fmt.Sprintf("%d transactions timed out with no fault active, each perhaps deadlocked; node processes cannot report wait-for edges to tell", n)
		return res
	}
	res.Valid = checkers.Valid
	res.Summary = "every transaction invoked with no fault active was answered (node processes cannot report wait-for edges)"
	return res
}
