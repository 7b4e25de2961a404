package elle

import (
	"fmt"
	"sort"
)

// Each strongly connected component of the dependency graph is examined as
// elle.txn does: first, for each model, whether the model's subgraph has a
// cycle at all (an exact test by strongly connected components, reported as
// "<model>-cycle-exists" when no specific anomaly explains it); then, in
// order of severity, a search for a cycle of each shape the models that
// still might hold do not already rule out.

type cycleExistsSpec struct {
	model    string // canonical
	subgraph string
	au       *automaton
}

var cycleExistsSpecs = []cycleExistsSpec{
	{"PL-1", "ww", relAutomaton(relWW)},
	{"PL-2", "ww wr", relAutomaton(relWW | relWR)},
	// Snapshot isolation: walks over ww and wr where an rw edge may follow
	// one of those, never another rw edge (the sequential extension).
	{"PL-SI", "ww wr, then at most one rw", extensionAutomaton(relWW | relWR)},
	{"PL-2.99", "ww wr rw", relAutomaton(relData)},
	{"PL-3", "ww wr rw", relAutomaton(relData)},
	{"strong-session-PL-1", "ww process", relAutomaton(relWW | relProcess)},
	{"strong-session-PL-2", "ww wr process", relAutomaton(relWW | relWR | relProcess)},
	{"strong-session-snapshot-isolation", "ww wr process, then at most one rw", extensionAutomaton(relWW | relWR | relProcess)},
	{"strong-session-serializable", "ww wr rw process", relAutomaton(relData | relProcess)},
	{"strong-PL-1", "ww realtime", relAutomaton(relWW | relRealtime)},
	{"strong-PL-2", "ww wr realtime", relAutomaton(relWW | relWR | relRealtime)},
	{"strong-snapshot-isolation", "ww wr realtime, then at most one rw", extensionAutomaton(relWW | relWR | relRealtime)},
	{"PL-SS", "ww wr rw realtime", relAutomaton(relData | relRealtime)},
}

// shapes are the cycle shapes in Elle's search order.
var shapes = func() []*shape {
	var out []*shape
	byName := map[string]*shape{}
	var names []string
	for _, b := range baseShapes {
		for _, x := range []rel{0, relProcess, relRealtime} {
			sh := newShape(b, x)
			byName[sh.name] = sh
			names = append(names, sh.name)
		}
	}
	byDepth(names)
	for _, n := range names {
		out = append(out, byName[n])
	}
	return out
}()

var cycleTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, sh := range shapes {
		m[sh.name] = true
	}
	return m
}()

// componentCases returns the anomalies of one component.
func componentCases(p *parsed, g *graph, ex dataExplainer, comp []int32, budget int) []Case {
	var out []Case
	// Which models' subgraphs have a cycle here?
	ruledOut := map[string]bool{}
	for _, spec := range cycleExistsSpecs {
		if ruledOut[spec.model] {
			continue // a weaker model's cycle already rules it out
		}
		sccs := g.sccs(spec.au, comp)
		if len(sccs) == 0 {
			continue
		}
		smallest := sccs[0]
		for _, s := range sccs[1:] {
			if len(s) < len(smallest) {
				smallest = s
			}
		}
		c := Case{Type: spec.model + "-cycle-exists", Not: friendly(spec.model), Subgraph: spec.subgraph, SCCSize: len(smallest), pos: int(smallest[0])}
		c.SCC = opIndexes(p, smallest, 32)
		c.Txns = refs(p, smallest, 8)
		c.Explanation = fmt.Sprintf("%d transactions, from %s on, form a cycle over %s edges, which %s forbids; no more specific anomaly was found in them",
			len(smallest), p.name(smallest[0]), spec.subgraph, friendly(spec.model))
		out = append(out, c)
		for m := range impossibleModels([]string{spec.model}) {
			ruledOut[m] = true
		}
	}
	// Shapes that models without a cycle here forbid cannot occur.
	var possible []string
	for _, spec := range cycleExistsSpecs {
		if !ruledOut[spec.model] {
			possible = append(possible, spec.model)
		}
	}
	skip := map[string]bool{}
	for a := range prohibitedAnomalies(possible) {
		if cycleTypes[a] {
			skip[a] = true
		}
	}
	for _, sh := range shapes {
		if skip[sh.name] {
			continue
		}
		cyc, rels, exhausted := searchComponent(g, sh, comp, budget)
		if exhausted {
			c := Case{Type: "cycle-search-timeout", Spec: sh.name, SCCSize: len(comp), pos: int(comp[0])}
			c.SCC = opIndexes(p, comp, 32)
			c.Txns = refs(p, comp, 8)
			c.Explanation = fmt.Sprintf("the search for %s in a component of %d transactions (from %s on) gave up after its budget of %d states",
				sh.name, len(comp), p.name(comp[0]), budget)
			out = append(out, c)
		}
		if cyc == nil {
			continue
		}
		out = append(out, cycleCase(p, ex, sh.name, cyc, rels))
		for a := range reach(impliedAnomalies.out, []string{sh.name}) {
			skip[a] = true
		}
	}
	return out
}

// searchComponent looks for the shape in the sub-components of comp that
// its relations leave strongly connected, smallest first.
func searchComponent(g *graph, sh *shape, comp []int32, budget int) ([]int32, []rel, bool) {
	subs := g.sccs(relAutomaton(sh.allowed), comp)
	sort.SliceStable(subs, func(i, j int) bool { return len(subs[i]) < len(subs[j]) })
	for _, sub := range subs {
		g.localIDs(sub)
		cyc, rels, exhausted := g.findCycle(sh, sub, &budget)
		g.release(sub)
		if cyc != nil || exhausted {
			return cyc, rels, exhausted
		}
	}
	return nil, nil, false
}

func opIndexes(p *parsed, vs []int32, max int) []int {
	if len(vs) > max {
		vs = vs[:max]
	}
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = p.txns[v].op.Index
	}
	return out
}

func refs(p *parsed, vs []int32, max int) []TxnRef {
	if len(vs) > max {
		vs = vs[:max]
	}
	out := make([]TxnRef, len(vs))
	for i, v := range vs {
		out[i] = p.ref(v)
	}
	return out
}
