package elle

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/ddbbench/ddbbench/history"
)

// randomGraph draws a small graph with random relations on its edges.
func randomGraph(t *rapid.T) *graph {
	n := rapid.IntRange(1, 9).Draw(t, "n")
	var b graphBuilder
	m := rapid.IntRange(0, 3*n).Draw(t, "edges")
	for i := 0; i < m; i++ {
		a := int32(rapid.IntRange(0, n-1).Draw(t, "from"))
		c := int32(rapid.IntRange(0, n-1).Draw(t, "to"))
		r := relBits[rapid.IntRange(0, relCount-1).Draw(t, "rel")]
		b.link(a, c, r)
	}
	g := b.build(n)
	g.explainOrder(relWW, relWR, relRW, relProcess, relRealtime)
	return g
}

// reachable[a][b]: a walk of at least one step over the product of g and
// au leads from node a to node b (nodes are vertex*states+state).
func productReach(g *graph, au *automaton) [][]bool {
	S := au.states
	N := g.n * S
	r := make([][]bool, N)
	for i := range r {
		r[i] = make([]bool, N)
	}
	for v := 0; v < g.n; v++ {
		for e := g.off[v]; e < g.off[v+1]; e++ {
			for s := 0; s < S; s++ {
				for bi, b := range relBits {
					if g.rels[e]&b != 0 && au.next[s][bi] >= 0 {
						r[v*S+s][int(g.to[e])*S+int(au.next[s][bi])] = true
					}
				}
			}
		}
	}
	for k := 0; k < N; k++ {
		for i := 0; i < N; i++ {
			if r[i][k] {
				for j := 0; j < N; j++ {
					if r[k][j] {
						r[i][j] = true
					}
				}
			}
		}
	}
	return r
}

// Tarjan's components agree with mutual reachability, for plain relation
// masks and for the snapshot-isolation extension.
func TestSCCsMatchReachability(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := randomGraph(t)
		mask := rel(rapid.IntRange(1, 31).Draw(t, "mask"))
		for _, au := range []*automaton{relAutomaton(mask), extensionAutomaton(mask &^ relRW)} {
			S := au.states
			r := productReach(g, au)
			// Expected: the vertex sets of nontrivial product components.
			var want [][]int32
			seen := make([]bool, g.n*S)
			for x := 0; x < g.n*S; x++ {
				if seen[x] || !r[x][x] {
					continue
				}
				mark := map[int32]bool{}
				size := 0
				for y := 0; y < g.n*S; y++ {
					if y == x || r[x][y] && r[y][x] {
						seen[y] = true
						size++
						mark[int32(y/S)] = true
					}
				}
				if size < 2 {
					continue
				}
				var vs []int32
				for v := range mark {
					vs = append(vs, v)
				}
				slices.Sort(vs)
				want = append(want, vs)
			}
			got := g.sccs(au, nil)
			sortComps(want)
			sortComps(got)
			if !slices.EqualFunc(got, want, slices.Equal[[]int32]) {
				t.Fatalf("components %v, want %v", got, want)
			}
		}
	})
}

func sortComps(cs [][]int32) {
	slices.SortFunc(cs, func(a, b []int32) int { return slices.Compare(a, b) })
}

// simpleCycles enumerates every simple cycle of g (as vertex lists starting
// at their least vertex) with its explaining relations.
func simpleCycles(g *graph, visit func([]int32, []rel)) {
	var path []int32
	var rels []rel
	on := make([]bool, g.n)
	var dfs func(start, v int32)
	dfs = func(start, v int32) {
		for e := g.off[v]; e < g.off[v+1]; e++ {
			w, r := g.to[e], g.top[g.rels[e]]
			if w == start {
				visit(path, append(rels, r))
				continue
			}
			if w < start || on[w] {
				continue
			}
			on[w] = true
			path, rels = append(path, w), append(rels, r)
			dfs(start, w)
			path, rels = path[:len(path)-1], rels[:len(rels)-1]
			on[w] = false
		}
	}
	for s := int32(0); s < int32(g.n); s++ {
		path, rels = []int32{s}, nil
		on[s] = true
		dfs(s, s)
		on[s] = false
	}
}

// The cycle search finds a cycle of every shape that has one, and every
// cycle it reports is simple, real and of its shape.
func TestFindCycleMatchesEnumeration(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := randomGraph(t)
		all := make([]int32, g.n)
		for i := range all {
			all[i] = int32(i)
		}
		for _, sh := range shapes {
			exists := false
			simpleCycles(g, func(_ []int32, rs []rel) {
				if sh.walkAccepted(rs) {
					exists = true
				}
			})
			budget := 1 << 30
			g.localIDs(all)
			cyc, rs, _ := g.findCycle(sh, all, &budget)
			g.release(all)
			if exists != (cyc != nil) {
				t.Fatalf("%s: exists %v, found %v", sh.name, exists, cyc)
			}
			if cyc == nil {
				continue
			}
			seen := map[int32]bool{}
			for i, v := range cyc {
				if seen[v] {
					t.Fatalf("%s: cycle %v repeats %d", sh.name, cyc, v)
				}
				seen[v] = true
				if g.top[g.edge(v, cyc[(i+1)%len(cyc)])] != rs[i] {
					t.Fatalf("%s: cycle %v step %d is not %s", sh.name, cyc, i, rs[i])
				}
			}
			if !sh.walkAccepted(rs) {
				t.Fatalf("%s: cycle %v %v has not the shape", sh.name, cyc, rs)
			}
		}
	})
}

// The real-time edges are a transitive reduction of "a completed before b
// was invoked" (Elle's realtime-graph): their closure is exactly that
// order, plus each process's own sequence.
func TestRealtimeEdgesReduceTheOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "n")
		var ops []top
		for i := 0; i < n; i++ {
			inv := int64(rapid.IntRange(0, 20).Draw(t, "invoke"))
			d := int64(rapid.IntRange(0, 10).Draw(t, "duration"))
			o := ok(i, la("rx"))
			switch rapid.IntRange(0, 5).Draw(t, "outcome") {
			case 0:
				o.outcome = history.Info
			case 1:
				o.outcome = history.Fail
			}
			ops = append(ops, o.at(inv, inv+d))
		}
		p, err := parse(hist(ops...), ListAppend)
		if err != nil {
			t.Fatal(err)
		}
		var b graphBuilder
		addRealtimeEdges(p, &b)
		g := b.build(len(p.txns))
		reach := productReach(g, relAutomaton(relRealtime))
		for i := range p.txns {
			for j := range p.txns {
				a, c := &p.txns[i], &p.txns[j]
				want := a.ok() && !c.fail() && a.op.Complete < c.op.Invoke
				if got := reach[i][j]; got != want {
					t.Fatalf("%d (%s %d-%d) -> %d (%s %d-%d): reachable %v, want %v",
						i, a.status, a.op.Invoke, a.op.Complete, j, c.status, c.op.Invoke, c.op.Complete, got, want)
				}
			}
		}
		if len(g.to) > 2*n*n {
			t.Fatalf("%d edges", len(g.to))
		}
	})
}
