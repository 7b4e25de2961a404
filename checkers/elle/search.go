package elle

// Cycle shapes (Adya's classes as Elle searches for them), each as an
// automaton over the relations a walk takes, so that one breadth-first
// search of the product of the graph and the automaton finds the shortest
// closed walk of the shape through a given transaction:
//
//	G0                  ww edges only (write cycle)
//	G1c                 ww and wr, at least one wr (circular information flow)
//	G-single-item       ww and wr plus exactly one rw (read skew)
//	G-nonadjacent-item  ww and wr plus two or more rw, no two rw in a row
//	G2-item             ww, wr and rw, two or more rw, some two in a row
//
// and for each a -process or -realtime variant that may also take process
// or real-time edges and must take at least one.

var baseShapes = []string{"G0", "G1c", "G-single-item", "G-nonadjacent-item", "G2-item"}

type shape struct {
	name     string
	base     string
	extra    rel // relProcess, relRealtime or 0
	allowed  rel
	startRel rel // a start vertex must have an out-edge with one of these
	au       *automaton
}

// walkState is the automaton's state before numbering.
type walkState struct {
	started, first, last, adj, wr, x bool
	rw                               int8
}

func newShape(base string, extra rel) *shape {
	sh := &shape{name: base, base: base, extra: extra}
	switch extra {
	case relProcess:
		sh.name += "-process"
	case relRealtime:
		sh.name += "-realtime"
	}
	switch base {
	case "G0":
		sh.allowed, sh.startRel = relWW, relWW
	case "G1c":
		sh.allowed, sh.startRel = relWW|relWR, relWR
	default:
		sh.allowed, sh.startRel = relData, relRW
	}
	sh.allowed |= extra
	if extra != 0 {
		sh.startRel = extra
	}
	sh.au = sh.build()
	return sh
}

func (sh *shape) step(s walkState, r rel) (walkState, bool) {
	if sh.allowed&r == 0 {
		return s, false
	}
	isRW := r == relRW
	switch sh.base {
	case "G-single-item":
		if isRW && s.rw >= 1 {
			return s, false
		}
	case "G-nonadjacent-item":
		if isRW && s.last {
			return s, false
		}
	}
	n := s
	if isRW && n.rw < 2 {
		n.rw++
	}
	if sh.base == "G-nonadjacent-item" || sh.base == "G2-item" {
		if !s.started {
			n.first = isRW
		}
		n.adj = s.adj || s.last && isRW
		n.last = isRW
	}
	if sh.base == "G1c" && r == relWR {
		n.wr = true
	}
	if sh.extra != 0 && r == sh.extra {
		n.x = true
	}
	n.started = true
	return n, true
}

func (sh *shape) accepts(s walkState) bool {
	if !s.started || sh.extra != 0 && !s.x {
		return false
	}
	switch sh.base {
	case "G1c":
		return s.wr
	case "G-single-item":
		return s.rw == 1
	case "G-nonadjacent-item":
		return s.rw == 2 && !(s.first && s.last)
	case "G2-item":
		return s.rw == 2 && (s.adj || s.first && s.last)
	}
	return true
}

// build numbers the reachable states.
func (sh *shape) build() *automaton {
	ids := map[walkState]int{{}: 0}
	states := []walkState{{}}
	au := &automaton{}
	for i := 0; i < len(states); i++ {
		var row [relCount]int8
		for b, r := range relBits {
			n, ok := sh.step(states[i], r)
			if !ok {
				row[b] = -1
				continue
			}
			id, seen := ids[n]
			if !seen {
				id = len(states)
				ids[n] = id
				states = append(states, n)
			}
			row[b] = int8(id)
		}
		au.next = append(au.next, row)
		au.accept = append(au.accept, sh.accepts(states[i]))
	}
	au.states = len(states)
	return au
}

// walkAccepted: does the closed walk with these relations have the shape?
func (sh *shape) walkAccepted(rels []rel) bool {
	s := walkState{}
	for _, r := range rels {
		var ok bool
		if s, ok = sh.step(s, r); !ok {
			return false
		}
	}
	return sh.accepts(s)
}

// move is one step of a walk in the product of graph and automaton: to
// local vertex w by relation relBits[bit], into state next.
type move struct {
	w         int32
	bit, next int8
}

// moves appends the moves from global vertex gv in state s, over edges to
// numbered vertices whose explaining relation the shape allows.
func (g *graph) moves(sh *shape, gv, s int32, out []move) []move {
	for e := g.off[gv]; e < g.off[gv+1]; e++ {
		w := g.local[g.to[e]]
		rs := g.top[g.rels[e]] & sh.allowed
		if w < 0 || rs == 0 {
			continue
		}
		for bi, b := range relBits {
			if rs&b != 0 {
				if ns := sh.au.next[s][bi]; ns >= 0 {
					out = append(out, move{w, int8(bi), ns})
				}
			}
		}
	}
	return out
}

// smallComponent: in components up to this size the search tries every
// start vertex and keeps the shortest cycle; in larger ones it stops at
// the first.
const smallComponent = 64

// findCycle looks for a cycle of the shape within verts (sorted), which
// the caller has numbered with g.localIDs. It returns the cycle's vertices
// (the first not repeated at the end) and the relation of each step, or
// nil; exhausted says the budget ran out first.
func (g *graph) findCycle(sh *shape, verts []int32, budget *int) (cyc []int32, rels []rel, exhausted bool) {
	au := sh.au
	S := int32(au.states)
	N := int(int32(len(verts)) * S)
	stamp := make([]int32, N)
	parent := make([]int32, N)
	prel := make([]uint8, N)
	gen := int32(0)
	best := len(verts) + 1
	var frontier, next []int32
	var ms []move
	for x := int32(0); x < int32(len(verts)); x++ {
		gx := verts[x]
		hasStart := false
		for e := g.off[gx]; e < g.off[gx+1]; e++ {
			if g.top[g.rels[e]]&sh.startRel != 0 && g.local[g.to[e]] >= 0 {
				hasStart = true
				break
			}
		}
		if !hasStart {
			continue
		}
		gen++
		start := x*S + int32(au.start)
		stamp[start] = gen
		frontier = append(frontier[:0], start)
		found, tangled := false, false
		for depth := 1; len(frontier) > 0 && depth < best && !found; depth++ {
			next = next[:0]
			for _, node := range frontier {
				ms = g.moves(sh, verts[node/S], node%S, ms[:0])
				for _, mv := range ms {
					w, ns, b := mv.w, mv.next, relBits[mv.bit]
					if w == x {
						if au.accept[ns] {
							c, r := walkBack(node, S, verts, parent, prel, start)
							r = append(r, b)
							if c, r = simplify(sh, c, r); c != nil && len(c) < best {
								cyc, rels, best = c, r, len(c)
								found = true
								break
							} else if c == nil {
								tangled = true
							}
						}
						continue // no walk passes through its start
					}
					t := w*S + int32(ns)
					if stamp[t] == gen {
						continue
					}
					stamp[t], parent[t], prel[t] = gen, node, uint8(mv.bit)
					next = append(next, t)
					if *budget--; *budget <= 0 {
						return cyc, rels, true
					}
				}
				if found {
					break
				}
			}
			frontier, next = next, frontier
		}
		if !found && tangled {
			// Every shortest walk back to x crossed itself; look for a
			// simple cycle through x the slow way.
			c, r, out := g.simpleCycleThrough(sh, verts, x, best, budget)
			if out {
				return cyc, rels, true
			}
			if c != nil {
				cyc, rels, best = c, r, len(c)
			}
		}
		if cyc != nil && len(verts) > smallComponent {
			break
		}
	}
	return cyc, rels, false
}

// walkBack rebuilds the walk from start to node: its vertices and the
// relation taken into each.
func walkBack(node, S int32, verts, parent []int32, prel []uint8, start int32) ([]int32, []rel) {
	var vs []int32
	var rs []rel
	for node != start {
		vs = append(vs, verts[node/S])
		rs = append(rs, relBits[prel[node]])
		node = parent[node]
	}
	vs = append(vs, verts[start/S])
	// Reverse: vs runs start..node; rs[i] is the relation into vs[i+1].
	for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
		vs[i], vs[j] = vs[j], vs[i]
	}
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return vs, rs
}

// simplify cuts a closed walk that visits a vertex twice into simple
// cycles and keeps one that still has the shape (nil if none does).
// rels[i] is the relation from cyc[i] to cyc[i+1 mod n].
func simplify(sh *shape, cyc []int32, rels []rel) ([]int32, []rel) {
	for i := range cyc {
		for j := i + 1; j < len(cyc); j++ {
			if cyc[i] != cyc[j] {
				continue
			}
			inner, innerRels := cyc[i:j], rels[i:j]
			outer := append(append([]int32(nil), cyc[:i]...), cyc[j:]...)
			outerRels := append(append([]rel(nil), rels[:i]...), rels[j:]...)
			if sh.walkAccepted(innerRels) {
				if c, r := simplify(sh, append([]int32(nil), inner...), append([]rel(nil), innerRels...)); c != nil {
					return c, r
				}
			}
			if sh.walkAccepted(outerRels) {
				return simplify(sh, outer, outerRels)
			}
			return nil, nil
		}
	}
	return cyc, rels
}

// simpleCycleThrough is an iterative-deepening depth-first search over
// simple paths from x back to x, pruned by each state's distance back to
// an accepting close (a bound that ignores simplicity). It finds the
// shortest simple cycle of the shape through x shorter than best, at
// exponential cost in the worst case: the budget bounds it.
func (g *graph) simpleCycleThrough(sh *shape, verts []int32, x int32, best int, budget *int) ([]int32, []rel, bool) {
	au := sh.au
	S := int32(au.states)
	L := int32(len(verts))
	// The product's edges reversed, to measure distances back to x.
	rev := make([][]int32, L*S)
	var ms []move
	for v := int32(0); v < L; v++ {
		for st := int32(0); st < S; st++ {
			ms = g.moves(sh, verts[v], st, ms[:0])
			for _, mv := range ms {
				t := mv.w*S + int32(mv.next)
				rev[t] = append(rev[t], v*S+st)
			}
		}
	}
	// dist[(v, s)]: fewest steps from v in state s to an accepting close
	// at x, passing x nowhere else.
	dist := make([]int32, L*S)
	for i := range dist {
		dist[i] = -1
	}
	var queue []int32
	for st := int32(0); st < S; st++ {
		if !au.accept[st] {
			continue
		}
		for _, n := range rev[x*S+st] {
			if dist[n] < 0 {
				dist[n] = 1
				queue = append(queue, n)
			}
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n/S == x {
			continue
		}
		for _, m := range rev[n] {
			if dist[m] < 0 {
				dist[m] = dist[n] + 1
				queue = append(queue, m)
			}
		}
	}
	start := x*S + int32(au.start)
	if dist[start] < 0 {
		return nil, nil, false
	}
	onPath := make([]bool, L)
	var path []int32
	var rels []rel
	exhausted := false
	var dfs func(v, s int32, limit int) bool
	dfs = func(v, s int32, limit int) bool {
		for _, mv := range g.moves(sh, verts[v], s, nil) {
			w, ns, b := mv.w, mv.next, relBits[mv.bit]
			if *budget--; *budget <= 0 {
				exhausted = true
				return false
			}
			if w == x {
				if au.accept[ns] && len(path) <= limit { // len(path) edges with this one
					rels = append(rels, b)
					return true
				}
				continue
			}
			d := dist[w*S+int32(ns)]
			if onPath[w] || d < 0 || len(path)+int(d) > limit {
				continue
			}
			onPath[w] = true
			path, rels = append(path, verts[w]), append(rels, b)
			if dfs(w, int32(ns), limit) {
				return true
			}
			if exhausted {
				return false
			}
			path, rels = path[:len(path)-1], rels[:len(rels)-1]
			onPath[w] = false
		}
		return false
	}
	for limit := int(dist[start]); limit < best && limit <= int(L); limit++ {
		path, rels = append(path[:0], verts[x]), rels[:0]
		clear(onPath)
		onPath[x] = true
		if dfs(x, int32(au.start), limit) {
			return path, rels, false
		}
		if exhausted {
			return nil, nil, true
		}
	}
	return nil, nil, false
}
