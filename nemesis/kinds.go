package nemesis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/runtime/network"
)

// Info describes one fault kind for `ddbbench list`.
type Info struct {
	Name    string
	Summary string
}

// kindSpec is one selectable fault kind.
type kindSpec struct {
	name    string
	family  string // partition, kill, pause, packet, clock: history.Fault.Kind
	summary string
	// plan chooses what the next fault does, drawing from n.rng; it returns
	// nil and the reason when there is nothing to do.
	plan func(n *Nemesis, nodes []string) (*fault, string)
	// phase, for a kill that aims at a moment, is the protocol phase
	// (nodes.Env.SetPhase) whose first entrant it kills; plan is unused.
	phase string
}

var catalog []*kindSpec

// DecidingPhase is the phase a commit coordinator reports between
// collecting its votes and deciding: kill-coordinator's moment.
const DecidingPhase = history.TxnDeciding

// NeedsPhases reports whether a fault kind aims at a phase that only
// nodes reporting their phases (reference nodes in the simulator) can show.
func NeedsPhases(kind string) bool {
	k := lookup(strings.TrimSpace(kind))
	return k != nil && k.phase != ""
}

func init() {
	add := func(name, family, summary string, plan func(*Nemesis, []string) (*fault, string)) {
		catalog = append(catalog, &kindSpec{name: name, family: family, summary: summary, plan: plan})
	}
	add("partition", "partition", "a random partition shape each time (any of the partition-* below)", planPartition(partitionShapes...))
	for _, sh := range partitionShapes {
		add("partition-"+sh.name, "partition", sh.summary, planPartition(sh))
	}
	add("kill", "kill", "crash nodes (one, a minority, a majority, all, or the leader) and restart them", planNodes(nodeShapes...))
	for _, sh := range nodeShapes {
		add("kill-"+sh.name, "kill", "crash "+sh.summary+", then restart", planNodes(sh))
	}
	catalog = append(catalog, &kindSpec{name: "kill-coordinator", family: "kill", phase: DecidingPhase,
		summary: "crash a commit coordinator at the worst moment, when it has every vote and has not yet logged or sent the decision (the first node to report phase " + DecidingPhase + "), then restart it; reference nodes in the simulator only"})
	add("pause", "pause", "pause nodes (one, a minority, a majority, all, or the leader) and resume them", planNodes(nodeShapes...))
	for _, sh := range nodeShapes {
		add("pause-"+sh.name, "pause", "pause "+sh.summary+", then resume", planNodes(sh))
	}
	add("packet", "packet", "random mix of message loss, duplication, delay and reordering on the links of one node, a minority, a majority, the leader, or all", planPacket(packetBehaviours...))
	for _, b := range packetBehaviours {
		add("packet-"+b.name, "packet", b.summary, planPacket(b))
	}
	add("clock", "clock", "clock-bump or clock-strobe at random; offsets reset on stop", planClock(true, true))
	add("clock-bump", "clock", "offset some nodes' clocks by ±100ms..±10s", planClock(true, false))
	add("clock-strobe", "clock", "flip one node's clock back and forth by ±100ms..±10s every 1-10ms", planClock(false, true))
}

// Catalog lists the fault kinds New accepts, "none" first.
func Catalog() []Info {
	out := []Info{{Name: "none", Summary: "no faults"}}
	for _, k := range catalog {
		out = append(out, Info{Name: k.name, Summary: k.summary})
	}
	return out
}

// Names lists the fault kind names New accepts, "none" first.
func Names() []string {
	var out []string
	for _, k := range Catalog() {
		out = append(out, k.Name)
	}
	return out
}

func lookup(name string) *kindSpec {
	for _, k := range catalog {
		if k.name == name {
			return k
		}
	}
	return nil
}

// pick draws one of the choices, or takes the only one without a draw.
func pick[T any](rng *rand.Rand, choices []T) T {
	if len(choices) == 1 {
		return choices[0]
	}
	return choices[rng.IntN(len(choices))]
}

// shuffled is a random permutation of nodes, leaving nodes as they are.
func shuffled(rng *rand.Rand, nodes []string) []string {
	s := slices.Clone(nodes)
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

// inOrder returns subset sorted by position in nodes, for readable details.
func inOrder(nodes, subset []string) []string {
	out := make([]string, 0, len(subset))
	for _, node := range nodes {
		if slices.Contains(subset, node) {
			out = append(out, node)
		}
	}
	return out
}

func majority(n int) int { return n/2 + 1 }

// ---- partitions ----

// partitionShape builds a grudge over nodes. leaders is only filled for
// shapes that ask for it.
type partitionShape struct {
	name       string
	summary    string
	wantLeader bool
	grudge     func(rng *rand.Rand, nodes, leaders []string) (network.Grudge, string)
}

var partitionShapes = []partitionShape{
	{name: "halves", summary: "cut the cluster into two random halves", grudge: halves},
	{name: "one", summary: "isolate one random node", grudge: isolateOne},
	{name: "majority", summary: "cut a random majority from the remaining minority", grudge: majorityMinority},
	{name: "minority-third", summary: "cut off a random group of fewer than a third of the nodes (at least one)", grudge: minorityThird},
	{name: "ring", summary: "majorities ring: every node sees a majority, no two the same one", grudge: majoritiesRing},
	{name: "bridge", summary: "two halves joined by one node that sees both", grudge: bridge},
	{name: "one-way", summary: "one-way cut: a node deaf to the others, a node the others cannot hear, or one half deaf to the other", grudge: oneWay},
	{name: "leader", summary: "isolate the node reporting itself leader/primary (a random node if none)", wantLeader: true, grudge: isolateLeader},
}

func planPartition(shapes ...partitionShape) func(*Nemesis, []string) (*fault, string) {
	return func(n *Nemesis, nodes []string) (*fault, string) {
		sh := pick(n.rng, shapes)
		var leaders []string
		if sh.wantLeader {
			leaders = n.leaders(nodes)
		}
		g, what := sh.grudge(n.rng, nodes, leaders)
		if len(g) == 0 {
			return nil, fmt.Sprintf("%s cuts nothing with %d nodes", what, len(nodes))
		}
		return &fault{grudge: g}, what + " " + g.String()
	}
}

// complete is the grudge in which each node drops messages from every node
// in the other components.
func complete(components ...[]string) network.Grudge {
	g := network.Grudge{}
	for i, c := range components {
		for _, dest := range c {
			for j, other := range components {
				if j != i {
					g[dest] = append(g[dest], other...)
				}
			}
			if len(g[dest]) == 0 {
				delete(g, dest)
			}
		}
	}
	return g
}

func halves(rng *rand.Rand, nodes, _ []string) (network.Grudge, string) {
	s := shuffled(rng, nodes)
	return complete(s[:len(s)/2], s[len(s)/2:]), "halves"
}

func isolateOne(rng *rand.Rand, nodes, _ []string) (network.Grudge, string) {
	if len(nodes) == 0 {
		return nil, "one"
	}
	i := rng.IntN(len(nodes))
	return isolate(nodes, nodes[i]), "one " + nodes[i]
}

func isolate(nodes []string, x string) network.Grudge {
	rest := slices.DeleteFunc(slices.Clone(nodes), func(s string) bool { return s == x })
	return complete([]string{x}, rest)
}

func majorityMinority(rng *rand.Rand, nodes, _ []string) (network.Grudge, string) {
	s := shuffled(rng, nodes)
	m := majority(len(s))
	if m > len(s) {
		m = len(s)
	}
	return complete(s[:m], s[m:]), "majority"
}

// minorityThirdSize is the largest count strictly below a third of n, as
// Jepsen's minority-third, but at least one so that small clusters are cut.
func minorityThirdSize(n int) int {
	if n < 2 {
		return 0
	}
	return max(1, (n-1)/3)
}

func minorityThird(rng *rand.Rand, nodes, _ []string) (network.Grudge, string) {
	s := shuffled(rng, nodes)
	k := minorityThirdSize(len(s))
	return complete(s[:k], s[k:]), "minority-third"
}

// majoritiesRing is Jepsen's: arrange the nodes in a random ring; each node
// sees the majority-sized window of the ring around it and drops the rest.
// With three or more nodes the windows, and so the majorities, all differ.
func majoritiesRing(rng *rand.Rand, nodes, _ []string) (network.Grudge, string) {
	ring := shuffled(rng, nodes)
	n := len(ring)
	m := majority(n)
	g := network.Grudge{}
	for i, node := range ring {
		first := i - m/2 // the window is ring[first : first+m], wrapping
		var drop []string
		for j := m; j < n; j++ {
			drop = append(drop, ring[((first+j)%n+n)%n])
		}
		if len(drop) > 0 {
			g[node] = inOrder(nodes, drop)
		}
	}
	return g, "majorities-ring"
}

// bridge is Jepsen's: two halves that cannot talk, and one node of the
// second half that talks to both.
func bridge(rng *rand.Rand, nodes, _ []string) (network.Grudge, string) {
	s := shuffled(rng, nodes)
	if len(s) < 2 {
		return nil, "bridge"
	}
	a, b := s[:len(s)/2], s[len(s)/2:]
	return complete(a, b[1:]), "bridge via " + b[0]
}

func oneWay(rng *rand.Rand, nodes, _ []string) (network.Grudge, string) {
	if len(nodes) < 2 {
		return nil, "one-way"
	}
	switch rng.IntN(3) {
	case 0: // x receives nothing from the others; they still hear x
		x := nodes[rng.IntN(len(nodes))]
		others := slices.DeleteFunc(slices.Clone(nodes), func(s string) bool { return s == x })
		return network.Grudge{x: others}, "one-way: " + x + " cannot receive"
	case 1: // nobody hears x; x still hears them
		x := nodes[rng.IntN(len(nodes))]
		g := network.Grudge{}
		for _, node := range nodes {
			if node != x {
				g[node] = []string{x}
			}
		}
		return g, "one-way: " + x + " cannot be heard"
	default: // half a hears nothing from half b; b hears a
		s := shuffled(rng, nodes)
		a, b := inOrder(nodes, s[:len(s)/2]), inOrder(nodes, s[len(s)/2:])
		g := network.Grudge{}
		for _, node := range a {
			g[node] = slices.Clone(b)
		}
		return g, "one-way: [" + strings.Join(a, ",") + "] cannot hear [" + strings.Join(b, ",") + "]"
	}
}

func isolateLeader(rng *rand.Rand, nodes, leaders []string) (network.Grudge, string) {
	if len(nodes) == 0 {
		return nil, "leader"
	}
	if len(leaders) == 0 {
		x := nodes[rng.IntN(len(nodes))]
		return isolate(nodes, x), "leader (none reported; random) " + x
	}
	x := pick(rng, leaders)
	return isolate(nodes, x), "leader " + x
}

// ---- kill and pause ----

type nodeShape struct {
	name    string
	summary string
	// choose returns the nodes and, when it differs from the shape's name,
	// what it did ("leader (none reported; random)").
	choose func(n *Nemesis, nodes []string) ([]string, string)
}

var nodeShapes = []nodeShape{
	{name: "one", summary: "one random node", choose: func(n *Nemesis, nodes []string) ([]string, string) {
		return shuffled(n.rng, nodes)[:min(1, len(nodes))], ""
	}},
	{name: "minority", summary: "a random minority (at least one node)", choose: func(n *Nemesis, nodes []string) ([]string, string) {
		k := max(1, (len(nodes)-1)/2)
		return shuffled(n.rng, nodes)[:min(k, len(nodes))], ""
	}},
	{name: "majority", summary: "a random majority", choose: func(n *Nemesis, nodes []string) ([]string, string) {
		return shuffled(n.rng, nodes)[:min(majority(len(nodes)), len(nodes))], ""
	}},
	{name: "all", summary: "every node", choose: func(_ *Nemesis, nodes []string) ([]string, string) {
		return nodes, ""
	}},
	{name: "leader", summary: "every node reporting itself leader/primary (a random node if none)", choose: func(n *Nemesis, nodes []string) ([]string, string) {
		if l := n.leaders(nodes); len(l) > 0 {
			return l, ""
		}
		return shuffled(n.rng, nodes)[:min(1, len(nodes))], "leader (none reported; random)"
	}},
}

func planNodes(shapes ...nodeShape) func(*Nemesis, []string) (*fault, string) {
	return func(n *Nemesis, nodes []string) (*fault, string) {
		sh := pick(n.rng, shapes)
		chosen, what := sh.choose(n, nodes)
		if what == "" {
			what = sh.name
		}
		chosen = inOrder(nodes, chosen)
		if len(chosen) == 0 {
			return nil, fmt.Sprintf("%s chooses nothing among %d nodes", sh.name, len(nodes))
		}
		return &fault{nodes: chosen}, what
	}
}

// ---- packet faults ----

type packetBehaviour struct {
	name    string
	summary string
	set     func(rng *rand.Rand, p *network.PacketFaults)
}

var packetBehaviours = []packetBehaviour{
	// Jepsen's default is netem's "loss 20% 75%": losses correlated, so
	// they come in bursts. Ours are bursts of 50 ms on average per link.
	{name: "loss", summary: "lose 5-30% of messages, in bursts of 50ms on average", set: func(rng *rand.Rand, p *network.PacketFaults) {
		p.Loss = pick(rng, []float64{0.05, 0.1, 0.2, 0.3})
		p.Burst = 50 * time.Millisecond
	}},
	{name: "dup", summary: "duplicate 5-20% of messages", set: func(rng *rand.Rand, p *network.PacketFaults) {
		p.Dup = pick(rng, []float64{0.05, 0.1, 0.2})
	}},
	{name: "delay", summary: "delay every message by 5-100ms more", set: func(rng *rand.Rand, p *network.PacketFaults) {
		p.Delay = pick(rng, []time.Duration{5 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond})
	}},
	{name: "reorder", summary: "hold back 10-50% of messages, reordering them", set: func(rng *rand.Rand, p *network.PacketFaults) {
		p.Reorder = pick(rng, []float64{0.1, 0.3, 0.5})
	}},
}

// planPacket draws behaviours (a random non-empty combination when there
// are several) and, as Jepsen's packet nemesis does, the nodes whose links
// they affect: one, a minority, a majority, the leader, or all.
func planPacket(behaviours ...packetBehaviour) func(*Nemesis, []string) (*fault, string) {
	return func(n *Nemesis, nodes []string) (*fault, string) {
		var p network.PacketFaults
		if len(behaviours) == 1 {
			behaviours[0].set(n.rng, &p)
		} else {
			mask := 1 + n.rng.IntN(1<<len(behaviours)-1)
			for i, b := range behaviours {
				if mask&(1<<i) != 0 {
					b.set(n.rng, &p)
				}
			}
		}
		sh := pick(n.rng, nodeShapes)
		chosen, what := sh.choose(n, nodes)
		if what == "" {
			what = sh.name
		}
		if sh.name != "all" {
			p.Targets = inOrder(nodes, chosen)
			what += " [" + strings.Join(p.Targets, ",") + "]"
		}
		return &fault{packet: p}, describePacket(p) + " on the links of " + what
	}
}

func describePacket(p network.PacketFaults) string {
	var parts []string
	if p.Loss > 0 {
		parts = append(parts, fmt.Sprintf("loss=%g", p.Loss))
		if p.Burst > 0 {
			parts = append(parts, fmt.Sprintf("burst=%v", p.Burst))
		}
	}
	if p.Dup > 0 {
		parts = append(parts, fmt.Sprintf("dup=%g", p.Dup))
	}
	if p.Delay > 0 {
		parts = append(parts, fmt.Sprintf("delay=%v", p.Delay))
	}
	if p.Reorder > 0 {
		parts = append(parts, fmt.Sprintf("reorder=%g", p.Reorder))
	}
	return strings.Join(parts, " ")
}

// ---- clocks ----

// skew draws an offset of ±100ms..±10s, log-uniform in magnitude, whole ms.
func skew(rng *rand.Rand) time.Duration {
	ms := math.Round(100 * math.Pow(100, rng.Float64()))
	d := time.Duration(ms) * time.Millisecond
	if rng.IntN(2) == 0 {
		d = -d
	}
	return d
}

func planClock(bump, strobeOK bool) func(*Nemesis, []string) (*fault, string) {
	return func(n *Nemesis, nodes []string) (*fault, string) {
		if len(nodes) == 0 {
			return nil, "no nodes"
		}
		doStrobe := strobeOK
		if bump && strobeOK {
			doStrobe = n.rng.IntN(2) == 0
		}
		if doStrobe {
			s := &strobe{
				node:   nodes[n.rng.IntN(len(nodes))],
				delta:  skew(n.rng),
				period: time.Duration(1+n.rng.IntN(10)) * time.Millisecond,
				on:     true,
			}
			return &fault{strobe: s}, fmt.Sprintf("strobe %s %s every %v", s.node, signed(s.delta), s.period)
		}
		chosen := inOrder(nodes, shuffled(n.rng, nodes)[:1+n.rng.IntN(len(nodes))])
		f := &fault{}
		var parts []string
		for _, node := range chosen {
			d := skew(n.rng)
			f.offsets = append(f.offsets, nodeOffset{node: node, d: d})
			parts = append(parts, node+signed(d))
		}
		return f, "bump " + strings.Join(parts, " ")
	}
}

// signed renders d with its sign: "+1.5s", "-200ms".
func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}
