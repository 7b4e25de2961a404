package deadlock

import (
	"slices"
	"time"

	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// Central is centralized deadlock detection (Özsu & Valduriez, §11.6.3
// "Centralized Deadlock Detection"; Elmasri & Navathe, §23.x distributed
// concurrency control): requests wait as in plain 2PL, and every Period
// the detection site, the first node, asks every site for its local
// wait-for edges, unites them into the global wait-for graph, and breaks
// each cycle by aborting its youngest transaction (the one that has done
// the least work and, keeping its timestamp, will not be chosen forever).
//
// The edges come from different sites at different moments, so a cycle in
// their union may never have existed all at once: a phantom deadlock, whose
// victim is aborted for nothing. A site that does not answer within the
// period is left out of the round; while the detection site is cut off or
// down, deadlocks go undetected, and the next full round finds them.
type Central struct{ Period time.Duration }

// Conflict lets every conflicting request wait: the detector breaks cycles.
func (Central) Conflict(*Site, *Request, []Owner, bool) string { return "" }

// Start serves the detection site's requests for edges and, on the first
// node, starts the detection rounds.
func (p Central) Start(n *Node) {
	serve(n, "waits", func(_ waitsBody, reply func(waitsReply)) { reply(waitsReply{Edges: n.site.edges()}) })
	if n.self == n.sites[0] {
		d := &detector{n: n, period: p.Period}
		n.env.SetTimer(p.Period, d.round)
	}
}

type (
	waitsBody  struct{}
	waitsReply struct {
		Edges []edge `json:"edges"`
	}
	// edge is a waiting attempt and the attempts it waits for.
	edge struct {
		Waiter   Owner   `json:"waiter"`
		WaitsFor []Owner `json:"waits_for"`
	}
)

// detector is the detection site's state.
type detector struct {
	n      *Node
	period time.Duration
}

// round collects every site's edges, then resolves the cycles in their
// union and schedules the next round.
func (d *detector) round() {
	var edges []edge
	left := len(d.n.sites)
	collected := func(es []edge) {
		edges = append(edges, es...)
		if left--; left == 0 {
			d.resolve(edges)
			d.n.env.SetTimer(d.period, d.round)
		}
	}
	for _, site := range d.n.sites {
		if site == d.n.self {
			continue
		}
		d.n.env.RPC(site, "waits", waitsBody{}, d.period, func(resp maelstrom.Msg, err error) {
			r, derr := maelstrom.Decode[waitsReply](resp)
			if err != nil || derr != nil {
				collected(nil) // no answer this round
				return
			}
			collected(r.Edges)
		})
	}
	collected(d.n.site.edges())
}

// resolve aborts the youngest transaction on each cycle of the graph,
// taking it out of the graph, until no cycle is left.
func (d *detector) resolve(edges []edge) {
	g := newWaitGraph(edges)
	for {
		cycle := g.cycle()
		if cycle == nil {
			return
		}
		victim := cycle[0]
		for _, o := range cycle[1:] {
			if victim.TS.Before(o.TS) {
				victim = o
			}
		}
		d.n.env.Logf("deadlock %v: aborting the youngest, %s", names(cycle), victim.Txn)
		d.n.tell(victim.Coord, "abort", abortBody{Txn: victim.Txn, Cause: txn.Victim})
		g.remove(victim.Txn)
	}
}

// waitGraph is a wait-for graph over attempts.
type waitGraph struct {
	owners map[string]Owner
	out    map[string][]string // sorted
}

func newWaitGraph(edges []edge) *waitGraph {
	g := &waitGraph{owners: map[string]Owner{}, out: map[string][]string{}}
	for _, e := range edges {
		g.owners[e.Waiter.Txn] = e.Waiter
		for _, b := range e.WaitsFor {
			if _, ok := g.owners[b.Txn]; !ok {
				g.owners[b.Txn] = b
			}
			if !slices.Contains(g.out[e.Waiter.Txn], b.Txn) {
				g.out[e.Waiter.Txn] = append(g.out[e.Waiter.Txn], b.Txn)
			}
		}
	}
	for _, v := range g.out {
		slices.Sort(v)
	}
	return g
}

func (g *waitGraph) remove(v string) {
	delete(g.out, v)
	for w, succ := range g.out {
		g.out[w] = slices.DeleteFunc(succ, func(x string) bool { return x == v })
	}
}

// cycle returns some cycle of the graph, found by depth-first search from
// the vertices in name order, or nil.
func (g *waitGraph) cycle() []Owner {
	const (
		white = iota
		grey
		black
	)
	colour := map[string]int{}
	var path []string
	var found []string
	var visit func(v string) bool
	visit = func(v string) bool {
		colour[v] = grey
		path = append(path, v)
		for _, w := range g.out[v] {
			switch colour[w] {
			case grey:
				found = slices.Clone(path[slices.Index(path, w):])
				return true
			case white:
				if visit(w) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		colour[v] = black
		return false
	}
	for _, v := range sortedKeys(g.out) {
		if colour[v] == white && visit(v) {
			out := make([]Owner, len(found))
			for i, name := range found {
				out[i] = g.owners[name]
			}
			return out
		}
	}
	return nil
}
