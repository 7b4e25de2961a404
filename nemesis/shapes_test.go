package nemesis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/ddbbench/ddbbench/runtime/network"
)

func nodeIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("n%d", i)
	}
	return ids
}

func shapeNamed(t testing.TB, name string) partitionShape {
	for _, sh := range partitionShapes {
		if sh.name == name {
			return sh
		}
	}
	t.Fatalf("no partition shape %q", name)
	return partitionShape{}
}

func drops(g network.Grudge, dest, src string) bool { return slices.Contains(g[dest], src) }

// visible is what x hears: every node it does not drop, itself included.
func visible(g network.Grudge, nodes []string, x string) []string {
	var out []string
	for _, y := range nodes {
		if !drops(g, x, y) {
			out = append(out, y)
		}
	}
	return out
}

// groups checks that g is a complete two-way partition into groups (each
// node hears exactly its own group) and returns the group sizes, smallest
// first.
func groups(t *testing.T, g network.Grudge, nodes []string) []int {
	t.Helper()
	seen := map[string]bool{}
	var sizes []int
	for _, x := range nodes {
		vx := visible(g, nodes, x)
		for _, y := range vx {
			if !slices.Equal(visible(g, nodes, y), vx) {
				t.Fatalf("%s hears %v but %s hears %v: not a clean partition (%v)", x, vx, y, visible(g, nodes, y), g)
			}
		}
		if !seen[x] {
			sizes = append(sizes, len(vx))
			for _, y := range vx {
				seen[y] = true
			}
		}
	}
	slices.Sort(sizes)
	return sizes
}

func TestPartitionGroups(t *testing.T) {
	tests := []struct {
		shape string
		n     int
		sizes []int
	}{
		{"halves", 3, []int{1, 2}},
		{"halves", 4, []int{2, 2}},
		{"halves", 5, []int{2, 3}},
		{"one", 3, []int{1, 2}},
		{"one", 5, []int{1, 4}},
		{"majority", 3, []int{1, 2}},
		{"majority", 4, []int{1, 3}},
		{"majority", 5, []int{2, 3}},
		{"majority", 6, []int{2, 4}},
		{"minority-third", 3, []int{1, 2}},
		{"minority-third", 5, []int{1, 4}},
		{"minority-third", 7, []int{2, 5}},
		{"minority-third", 10, []int{3, 7}},
		{"leader", 3, []int{1, 2}},
		{"leader", 5, []int{1, 4}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.shape, tc.n), func(t *testing.T) {
			nodes := nodeIDs(tc.n)
			sh := shapeNamed(t, tc.shape)
			for seed := range uint64(20) {
				g, what := sh.grudge(rand.New(rand.NewPCG(seed, 1)), nodes, nil)
				if got := groups(t, g, nodes); !slices.Equal(got, tc.sizes) {
					t.Fatalf("seed %d: %s: group sizes %v, want %v (%v)", seed, what, got, tc.sizes, g)
				}
			}
		})
	}
}

func TestPartitionShapesAreRandom(t *testing.T) {
	nodes := nodeIDs(5)
	for _, sh := range partitionShapes {
		if sh.name == "leader" {
			continue // random only in its fallback, tested below
		}
		seen := map[string]bool{}
		for seed := range uint64(30) {
			g, _ := sh.grudge(rand.New(rand.NewPCG(seed, 2)), nodes, nil)
			seen[g.String()] = true
		}
		if len(seen) < 3 {
			t.Errorf("%s: only %d distinct grudges in 30 seeds", sh.name, len(seen))
		}
	}
}

func TestMajoritiesRing(t *testing.T) {
	for n := 3; n <= 9; n++ {
		nodes := nodeIDs(n)
		for seed := range uint64(10) {
			g, _ := majoritiesRing(rand.New(rand.NewPCG(seed, 3)), nodes, nil)
			var views []string
			for _, x := range nodes {
				v := visible(g, nodes, x)
				if len(v) < majority(n) {
					t.Fatalf("n=%d: %s sees only %v, not a majority (%v)", n, x, v, g)
				}
				if !slices.Contains(v, x) {
					t.Fatalf("n=%d: %s does not see itself", n, x)
				}
				views = append(views, strings.Join(v, ","))
			}
			slices.Sort(views)
			if len(slices.Compact(views)) != n {
				t.Fatalf("n=%d: two nodes see the same majority: %v (%v)", n, views, g)
			}
		}
	}
}

func TestBridge(t *testing.T) {
	for _, n := range []int{3, 5, 7} {
		nodes := nodeIDs(n)
		for seed := range uint64(10) {
			g, what := bridge(rand.New(rand.NewPCG(seed, 4)), nodes, nil)
			var bridges []string
			for _, x := range nodes {
				if len(visible(g, nodes, x)) == n {
					bridges = append(bridges, x)
				}
			}
			if len(bridges) != 1 {
				t.Fatalf("n=%d: nodes that see all: %v, want exactly one (%v)", n, bridges, g)
			}
			b := bridges[0]
			if !strings.Contains(what, b) {
				t.Errorf("description %q does not name the bridge %s", what, b)
			}
			for _, x := range nodes {
				if drops(g, x, b) {
					t.Fatalf("n=%d: %s drops the bridge %s", n, x, b)
				}
			}
			rest := slices.DeleteFunc(slices.Clone(nodes), func(s string) bool { return s == b })
			sub := network.Grudge{}
			for _, x := range rest {
				if len(g[x]) > 0 {
					sub[x] = g[x]
				}
			}
			sizes := groups(t, sub, rest)
			if len(sizes) != 2 {
				t.Fatalf("n=%d: without the bridge, groups %v, want two", n, sizes)
			}
			if n == 5 {
				for _, s := range sizes {
					if s+1 < majority(n) {
						t.Fatalf("n=5: a side with the bridge has %d nodes, not a majority", s+1)
					}
				}
			}
		}
	}
}

func TestOneWay(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		nodes := nodeIDs(n)
		variants := map[string]bool{}
		for seed := range uint64(40) {
			g, what := oneWay(rand.New(rand.NewPCG(seed, 5)), nodes, nil)
			if len(g) == 0 {
				t.Fatalf("n=%d: %s cuts nothing", n, what)
			}
			for dest, srcs := range g {
				for _, src := range srcs {
					if drops(g, src, dest) {
						t.Fatalf("n=%d: %s: %s and %s drop each other: not one-way (%v)", n, what, dest, src, g)
					}
				}
			}
			for _, v := range []string{"cannot receive", "cannot be heard", "cannot hear"} {
				if strings.Contains(what, v) {
					variants[v] = true
				}
			}
		}
		if len(variants) != 3 {
			t.Errorf("n=%d: variants seen %v, want all three", n, variants)
		}
	}
}

func TestIsolateLeader(t *testing.T) {
	nodes := nodeIDs(5)
	g, what := isolateLeader(rand.New(rand.NewPCG(1, 1)), nodes, []string{"n3"})
	if !slices.Equal(visible(g, nodes, "n3"), []string{"n3"}) {
		t.Fatalf("leader n3 not isolated: %v", g)
	}
	for _, x := range nodes {
		if x != "n3" && !slices.Equal(visible(g, nodes, x), []string{"n0", "n1", "n2", "n4"}) {
			t.Fatalf("%s sees %v", x, visible(g, nodes, x))
		}
	}
	if what != "leader n3" {
		t.Errorf("description %q", what)
	}
	g, what = isolateLeader(rand.New(rand.NewPCG(1, 1)), nodes, nil)
	if got := groups(t, g, nodes); !slices.Equal(got, []int{1, 4}) || !strings.Contains(what, "none reported") {
		t.Errorf("fallback: groups %v, %q", got, what)
	}
}

// For any cluster size and shape, a grudge names only cluster nodes, never
// makes a node drop its own messages, and lists no source twice.
func TestGrudgeProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 15).Draw(rt, "n")
		sh := partitionShapes[rapid.IntRange(0, len(partitionShapes)-1).Draw(rt, "shape")]
		seed := rapid.Uint64().Draw(rt, "seed")
		nodes := nodeIDs(n)
		var leaders []string
		for _, x := range nodes {
			if rapid.IntRange(0, 3).Draw(rt, "leader-"+x) == 0 {
				leaders = append(leaders, x)
			}
		}
		g, what := sh.grudge(rand.New(rand.NewPCG(seed, 0)), nodes, leaders)
		for dest, srcs := range g {
			if !slices.Contains(nodes, dest) {
				rt.Fatalf("%s: unknown receiver %q in %v", what, dest, g)
			}
			if len(srcs) == 0 {
				rt.Fatalf("%s: empty list for %s", what, dest)
			}
			seen := map[string]bool{}
			for _, src := range srcs {
				if src == dest {
					rt.Fatalf("%s: %s drops its own messages: %v", what, dest, g)
				}
				if !slices.Contains(nodes, src) {
					rt.Fatalf("%s: unknown sender %q in %v", what, src, g)
				}
				if seen[src] {
					rt.Fatalf("%s: %s lists %s twice", what, dest, src)
				}
				seen[src] = true
			}
		}
		if sh.name == "leader" && len(leaders) > 0 && n > 2 { // with two nodes, both look isolated
			isolated := ""
			for _, x := range nodes {
				if len(g[x]) == n-1 {
					isolated = x
				}
			}
			if !slices.Contains(leaders, isolated) {
				rt.Fatalf("isolated %q, not one of the leaders %v", isolated, leaders)
			}
		}
	})
}

func TestUnion(t *testing.T) {
	nodes := nodeIDs(4)
	a := network.Grudge{"n0": {"n1"}, "n2": {"n3"}}
	b := network.Grudge{"n0": {"n1", "n2"}, "n3": {"n0"}}
	got := union(nodes, []network.Grudge{a, b})
	want := network.Grudge{"n0": {"n1", "n2"}, "n2": {"n3"}, "n3": {"n0"}}
	if got.String() != want.String() {
		t.Fatalf("union = %v, want %v", got, want)
	}
}
