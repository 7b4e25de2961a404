package elle

import "slices"

// rel is a set of dependency relations between two transactions, Adya's
// three (ww: T2 overwrote T1's version; wr: T2 read T1's version; rw: T2
// overwrote the version T1 read) and the two orders the strong and session
// models add (realtime: T1 completed before T2 was invoked; process: the
// same client ran T1 before T2).
type rel uint8

const (
	relWW rel = 1 << iota
	relWR
	relRW
	relProcess
	relRealtime

	relCount = 5
	relData  = relWW | relWR | relRW
)

// relBits lists the single relations, in the order explanations prefer
// them (Elle explains with the data dependencies first).
var relBits = [relCount]rel{relWW, relWR, relRW, relProcess, relRealtime}

func (r rel) String() string {
	switch r {
	case relWW:
		return "ww"
	case relWR:
		return "wr"
	case relRW:
		return "rw"
	case relProcess:
		return "process"
	case relRealtime:
		return "realtime"
	}
	s := ""
	for _, b := range relBits {
		if r&b != 0 {
			if s != "" {
				s += "+"
			}
			s += b.String()
		}
	}
	return s
}

// graphBuilder collects edges; duplicates are merged when built.
type graphBuilder struct {
	from, to []int32
	rels     []rel
}

// grow makes room for about n edges.
func (b *graphBuilder) grow(n int) {
	b.from = slices.Grow(b.from, n)
	b.to = slices.Grow(b.to, n)
	b.rels = slices.Grow(b.rels, n)
}

func (b *graphBuilder) link(from, to int32, r rel) {
	if from == to {
		return // a transaction does not depend on itself
	}
	b.from = append(b.from, from)
	b.to = append(b.to, to)
	b.rels = append(b.rels, r)
}

// graph is a directed graph over transactions in compressed sparse row
// form: the out-edges of v are to[off[v]:off[v+1]], each with its rels.
type graph struct {
	n     int
	off   []int32
	to    []int32
	rels  []rel
	local []int32 // scratch for localIDs
	// top maps an edge's relations to the one that explains it. Elle
	// explains an edge by its data dependency when it has one (in the
	// workload's order: ww, wr, rw for lists; wr, ww, rw for registers),
	// and names a cycle by the relations so explained; searching by them
	// finds the cycles Elle would name.
	top [1 << relCount]rel
}

// explainOrder sets the order in which relations explain an edge.
func (g *graph) explainOrder(order ...rel) {
	for m := range g.top {
		g.top[m] = 0
		for _, r := range order {
			if rel(m)&r != 0 {
				g.top[m] = r
				break
			}
		}
	}
}

// build sorts the edges by source (a counting sort, linear) and merges
// parallel edges into one edge carrying every relation.
func (b *graphBuilder) build(n int) *graph {
	count := make([]int32, n+1)
	for _, f := range b.from {
		count[f+1]++
	}
	for i := 1; i <= n; i++ {
		count[i] += count[i-1]
	}
	to := make([]int32, len(b.to))
	rels := make([]rel, len(b.to))
	fill := append([]int32(nil), count[:n]...)
	for i, f := range b.from {
		j := fill[f]
		fill[f]++
		to[j], rels[j] = b.to[i], b.rels[i]
	}
	// Merge duplicates in place, remembering where each target sits in the
	// current vertex's run.
	seen := make([]int32, n)
	for i := range seen {
		seen[i] = -1
	}
	off := make([]int32, n+1)
	w := int32(0)
	for v := 0; v < n; v++ {
		off[v] = w
		for j := count[v]; j < count[v+1]; j++ {
			t := to[j]
			if p := seen[t]; p >= off[v] {
				rels[p] |= rels[j]
				continue
			}
			seen[t] = w
			to[w], rels[w] = t, rels[j]
			w++
		}
	}
	off[n] = w
	return &graph{n: n, off: off, to: to[:w:w], rels: rels[:w:w]}
}

// edge is the relations from a to b (zero if none).
func (g *graph) edge(a, b int32) rel {
	for j := g.off[a]; j < g.off[a+1]; j++ {
		if g.to[j] == b {
			return g.rels[j]
		}
	}
	return 0
}

func (g *graph) edgeCount() int { return len(g.to) }

// automaton walks the graph: from state s, taking a single relation r
// (by its index in relBits) leads to state next[s][r], or nowhere if -1.
// Products of the graph with an automaton let one SCC pass or one BFS
// look only at walks of a given shape: no two rw edges in a row, exactly
// one rw edge, and so on.
type automaton struct {
	states int
	start  int
	next   [][relCount]int8
	accept []bool
}

// relAutomaton is the one-state automaton taking any relation in mask.
func relAutomaton(mask rel) *automaton {
	a := &automaton{states: 1, next: make([][relCount]int8, 1), accept: []bool{true}}
	for i, b := range relBits {
		a.next[0][i] = -1
		if mask&b != 0 {
			a.next[0][i] = 0
		}
	}
	return a
}

// extensionAutomaton is the sequential extension A ∪ (A;B) that Elle uses
// for snapshot isolation: walks over edges in a, where an rw edge may
// follow an edge of a but not another rw edge. State 1 means "arrived by
// rw".
func extensionAutomaton(a rel) *automaton {
	au := &automaton{states: 2, next: make([][relCount]int8, 2), accept: []bool{true, true}}
	for s := 0; s < 2; s++ {
		for i, b := range relBits {
			switch {
			case b == relRW && s == 0:
				au.next[s][i] = 1
			case b != relRW && a&b != 0:
				au.next[s][i] = 0
			default:
				au.next[s][i] = -1
			}
		}
	}
	return au
}

// localIDs numbers the given vertices 0..len-1 in g.local, which holds -1
// for every other vertex; release undoes it. Searches and SCC passes over
// one component then cost in proportion to the component.
func (g *graph) localIDs(verts []int32) {
	if g.local == nil {
		g.local = make([]int32, g.n)
		for i := range g.local {
			g.local[i] = -1
		}
	}
	for i, v := range verts {
		g.local[v] = int32(i)
	}
}

func (g *graph) release(verts []int32) {
	for _, v := range verts {
		g.local[v] = -1
	}
}

// sccs returns the strongly connected components with more than one node
// of the product of g, restricted to verts (sorted, or nil for every
// vertex), and au; each as the sorted set of graph vertices it passes
// through. It is Tarjan's algorithm, made iterative so that long chains
// cannot overflow the stack.
func (g *graph) sccs(au *automaton, verts []int32) [][]int32 {
	S := int32(au.states)
	n := int32(g.n)
	if verts != nil {
		n = int32(len(verts))
		g.localIDs(verts)
		defer g.release(verts)
	}
	global := func(l int32) int32 {
		if verts == nil {
			return l
		}
		return verts[l]
	}
	localOf := func(v int32) int32 {
		if verts == nil {
			return v
		}
		return g.local[v]
	}
	N := n * S
	index := make([]int32, N) // 0: unvisited; else DFS number
	low := make([]int32, N)
	onStack := make([]bool, N)
	var stack []int32
	type frame struct {
		node int32
		e    int32 // next edge of the vertex to look at
		bit  int8  // next relation of that edge
	}
	var call []frame
	var out [][]int32
	counter := int32(0)
	var mark map[int32]bool

	push := func(t int32) {
		counter++
		index[t], low[t] = counter, counter
		stack = append(stack, t)
		onStack[t] = true
		call = append(call, frame{node: t, e: g.off[global(t/S)]})
	}
	for root := int32(0); root < N; root++ {
		if index[root] != 0 {
			continue
		}
		push(root)
		for len(call) > 0 {
			fi := len(call) - 1
			node := call[fi].node
			s := node % S
			end := g.off[global(node/S)+1]
			descended := false
			for !descended && call[fi].e < end {
				e := call[fi].e
				w := localOf(g.to[e])
				rs := g.rels[e]
				for !descended && call[fi].bit < relCount {
					i := call[fi].bit
					call[fi].bit++
					if w < 0 || rs&relBits[i] == 0 {
						continue
					}
					ns := au.next[s][i]
					if ns < 0 {
						continue
					}
					t := w*S + int32(ns)
					if index[t] == 0 {
						push(t)
						descended = true
					} else if onStack[t] && index[t] < low[node] {
						low[node] = index[t]
					}
				}
				if !descended {
					call[fi].e++
					call[fi].bit = 0
				}
			}
			if descended {
				continue
			}
			// Every successor is done: return to the caller.
			call = call[:fi]
			if fi > 0 {
				if p := call[fi-1].node; low[node] < low[p] {
					low[p] = low[node]
				}
			}
			if low[node] != index[node] {
				continue
			}
			// node is the root of a component.
			i := len(stack) - 1
			for stack[i] != node {
				i--
			}
			comp := stack[i:]
			if len(comp) > 1 {
				if mark == nil {
					mark = map[int32]bool{}
				}
				clear(mark)
				var vs []int32
				for _, x := range comp {
					if gx := global(x / S); !mark[gx] {
						mark[gx] = true
						vs = append(vs, gx)
					}
				}
				slices.Sort(vs)
				out = append(out, vs)
			}
			for _, x := range comp {
				onStack[x] = false
			}
			stack = stack[:i]
		}
	}
	return out
}
