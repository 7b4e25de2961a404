package broadcast

import (
	"fmt"
	"math"
	"strings"
)

// Topologies are the layouts Topology accepts, as Maelstrom's --topology
// names them ("tree" is "tree2").
var Topologies = []string{"grid", "line", "total", "tree", "tree2", "tree3", "tree4"}

// Topology lays the nodes out as Maelstrom does and returns each node's
// neighbours. Nodes are taken in the order given (n0, n1, ...).
//
//   - grid: a roughly square grid, row by row, side ceil(sqrt(n)); each node's
//     neighbours in the order below, above, right, left.
//   - line: a chain; the ends have one neighbour, the rest [left, right].
//     Fewer than two nodes give an empty topology.
//   - total: everyone else, in node order.
//   - treeB: a tree of fan-out B filled tier by tier (1, B, B², ...); each
//     node's neighbours are its parent (if any) then its children.
func Topology(name string, nodes []string) (map[string][]string, error) {
	switch name {
	case "grid":
		return grid(nodes), nil
	case "line":
		return line(nodes), nil
	case "total":
		return total(nodes), nil
	case "tree", "tree2":
		return tree(2, nodes), nil
	case "tree3":
		return tree(3, nodes), nil
	case "tree4":
		return tree(4, nodes), nil
	}
	return nil, fmt.Errorf("broadcast: unknown topology %q (want one of %s)", name, strings.Join(Topologies, ", "))
}

func grid(nodes []string) map[string][]string {
	n := len(nodes)
	side := int(math.Ceil(math.Sqrt(float64(n))))
	at := func(i, j int) (string, bool) {
		if i < 0 || j < 0 || j >= side {
			return "", false
		}
		if idx := i*side + j; idx < n {
			return nodes[idx], true
		}
		return "", false
	}
	topo := map[string][]string{}
	for i := range side {
		for j := range side {
			me, ok := at(i, j)
			if !ok {
				continue
			}
			nbrs := []string{}
			for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				if nb, ok := at(i+d[0], j+d[1]); ok {
					nbrs = append(nbrs, nb)
				}
			}
			topo[me] = nbrs
		}
	}
	return topo
}

func line(nodes []string) map[string][]string {
	n := len(nodes)
	topo := map[string][]string{}
	if n < 2 {
		return topo
	}
	topo[nodes[0]] = []string{nodes[1]}
	topo[nodes[n-1]] = []string{nodes[n-2]}
	for i := 1; i < n-1; i++ {
		topo[nodes[i]] = []string{nodes[i-1], nodes[i+1]}
	}
	return topo
}

func total(nodes []string) map[string][]string {
	topo := map[string][]string{}
	for _, me := range nodes {
		nbrs := []string{}
		for _, o := range nodes {
			if o != me {
				nbrs = append(nbrs, o)
			}
		}
		topo[me] = nbrs
	}
	return topo
}

// tree fills tiers of sizes 1, b, b², ... in node order; the k-th node of a
// tier has as children the k-th group of b nodes of the next tier.
func tree(b int, nodes []string) map[string][]string {
	topo := map[string][]string{}
	var tiers [][]string
	rest := nodes
	for size := 1; len(rest) > 0; size *= b {
		take := min(size, len(rest))
		tiers = append(tiers, rest[:take])
		rest = rest[take:]
	}
	for t, tier := range tiers {
		for k, me := range tier {
			nbrs := []string{}
			if t > 0 {
				nbrs = append(nbrs, tiers[t-1][k/b])
			}
			if t+1 < len(tiers) {
				next := tiers[t+1]
				for c := k * b; c < min((k+1)*b, len(next)); c++ {
					nbrs = append(nbrs, next[c])
				}
			}
			topo[me] = nbrs
		}
	}
	return topo
}
