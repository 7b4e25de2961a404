// Package waitfor rebuilds the global wait-for graph from the nodes'
// reports (history.Wait) as it stood at any moment of a run, and finds its
// cycles. It is the harness's own view, the one no single node has: the
// liveness checker names a deadlock's cycle with it, and the transaction
// statistics tell a detector's real deadlocks from phantoms. It shares no
// code with the nodes it judges.
package waitfor

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// Wait is one transaction's wait at one node.
type Wait struct {
	Node    string
	Txn     string
	Holders []string
	Since   int64 // when this wait began (its holders may have changed since)
}

type at struct{ node, txn string }

// Graph is the wait-for graph at some moment of a replay.
type Graph struct {
	waits map[at]*Wait
}

// New returns an empty graph.
func New() *Graph { return &Graph{waits: map[at]*Wait{}} }

// Apply replays one report made at time t: it replaces the node's wait for
// txn, or ends it when holders is empty. It reports whether the edges out
// of txn gained a holder (only then can a new cycle have formed).
func (g *Graph) Apply(t int64, node, txn string, holders []string) (grew bool) {
	k := at{node, txn}
	w := g.waits[k]
	if len(holders) == 0 {
		delete(g.waits, k)
		return false
	}
	if w == nil {
		g.waits[k] = &Wait{Node: node, Txn: txn, Holders: slices.Clone(holders), Since: t}
		return true
	}
	for _, h := range holders {
		if !slices.Contains(w.Holders, h) {
			grew = true
		}
	}
	w.Holders = slices.Clone(holders)
	return grew
}

// Waits are the waits in force, oldest first (ties by transaction, node).
func (g *Graph) Waits() []Wait {
	out := make([]Wait, 0, len(g.waits))
	for _, w := range g.waits {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b Wait) int {
		switch {
		case a.Since != b.Since:
			return cmp.Compare(a.Since, b.Since)
		case a.Txn != b.Txn:
			return strings.Compare(a.Txn, b.Txn)
		}
		return strings.Compare(a.Node, b.Node)
	})
	return out
}

// Waiting reports whether txn waits anywhere.
func (g *Graph) Waiting(txn string) bool {
	for k := range g.waits {
		if k.txn == txn {
			return true
		}
	}
	return false
}

// edges is the graph as adjacency lists, successors sorted.
func edges(waits []Wait) map[string][]string {
	out := map[string][]string{}
	for _, w := range waits {
		for _, h := range w.Holders {
			if !slices.Contains(out[w.Txn], h) {
				out[w.Txn] = append(out[w.Txn], h)
			}
		}
	}
	for _, s := range out {
		slices.Sort(s)
	}
	return out
}

// Cycle returns a cycle among the given waits (each transaction waits for
// the next, the last for the first), searching from the transactions in
// name order; nil when there is none.
func Cycle(waits []Wait) []string {
	out := edges(waits)
	colour := map[string]int{} // 0 unvisited, 1 on the path, 2 done
	var path, found []string
	var visit func(v string) bool
	visit = func(v string) bool {
		colour[v] = 1
		path = append(path, v)
		for _, w := range out[v] {
			if colour[w] == 1 {
				found = slices.Clone(path[slices.Index(path, w):])
				return true
			}
			if colour[w] == 0 && visit(w) {
				return true
			}
		}
		path = path[:len(path)-1]
		colour[v] = 2
		return false
	}
	for _, v := range slices.Sorted(maps.Keys(out)) {
		if colour[v] == 0 && visit(v) {
			return found
		}
	}
	return nil
}

// OnCycle reports whether txn is on a cycle of the graph among the
// transactions live accepts (txn itself always): whether it waits, through
// a chain of waits, for itself.
func (g *Graph) OnCycle(txn string, live func(string) bool) bool {
	out := edges(g.Waits())
	seen := map[string]bool{}
	stack := slices.Clone(out[txn])
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v == txn {
			return true
		}
		if !seen[v] && live(v) {
			seen[v] = true
			stack = append(stack, out[v]...)
		}
	}
	return false
}
