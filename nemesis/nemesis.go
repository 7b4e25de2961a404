// Package nemesis injects faults into a running cluster on a schedule, in
// the manner of Jepsen's nemeses: for each configured fault kind, wait an
// interval, start a fault, wait an interval, stop it, and repeat until the
// main phase ends; then heal everything before the final phase.
//
// The nemesis acts through a Target, which both the deterministic simulator
// and the process runtime provide. Every choice it makes (which shape of
// partition, which nodes, how much clock skew) is drawn from the
// *rand.Rand stream it is given, in the order its actions run, so the same
// seed gives the same faults at the same times in the simulator.
//
// Faults of different kinds, or several of the same kind, may overlap: the
// nemesis keeps the set of active faults and applies their combination (the
// union of the partitions, each node down while any kill holds it, the sum
// of clock offsets, the strongest packet faults), so stopping one fault never
// undoes another that is still in force.
package nemesis

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/runtime/network"
)

// Target is what the nemesis needs from a runtime. *sim.Sim satisfies it; a
// process runtime must too.
//
// After must call f later, never from inside After itself. Nodes must list
// the server nodes in a fixed order: the nemesis chooses among them by index.
type Target interface {
	Nodes() []string
	Now() time.Duration
	After(d time.Duration, f func())
	// Partition replaces the current partition with g.
	Partition(g network.Grudge) error
	// Heal removes every partition and packet fault.
	Heal()
	// SetPacketFaults replaces the packet faults.
	SetPacketFaults(p network.PacketFaults) error
	Kill(node string) error
	Restart(node string) error
	Pause(node string) error
	Resume(node string) error
	SetClockOffset(node string, d time.Duration) error
	// Role is the role a node last reported ("leader", "primary", ...), ""
	// when none or when the node is down.
	Role(node string) string
}

// PhaseWatcher is what a Target offers when its nodes report the protocol
// step they are in (nodes.Env.SetPhase): the simulator does, real
// processes cannot. Faults that aim at a moment need it.
type PhaseWatcher interface {
	// WatchPhase calls f, once, with the first node that enters phase,
	// at that instant; cancel stops the watch if it has not fired.
	WatchPhase(phase string, f func(node string)) (cancel func())
}

// DefaultLeaderRoles are the roles that leader-targeted faults aim at.
var DefaultLeaderRoles = []string{"leader", "primary"}

// Nemesis schedules faults on a Target. Create it with New; set Logf and
// LeaderRoles before Start.
type Nemesis struct {
	// Logf, when set, receives one line per action (start, stop, skip,
	// error), such as "nemesis 2.000s start kill one [n3]". It is called
	// with the nemesis's lock held and must not call back into it.
	Logf func(format string, args ...any)
	// LeaderRoles are the roles *-leader faults target (DefaultLeaderRoles
	// when nil).
	LeaderRoles []string
	// Clients, when set, are client endpoints that process faults reach
	// too, for workloads whose clients hold something a fault can take from
	// them: a lock holder is a process, and Kleppmann's case against leases
	// is a holder that pauses, or whose clock jumps. Each pause fault then
	// also pauses a client reporting HolderRole (waiting, a millisecond at
	// a time, for one to appear), and each clock fault also skews the
	// clocks of some clients. Nil leaves clients alone.
	Clients    []string
	HolderRole string

	kinds    []*kindSpec
	interval time.Duration
	rng      *rand.Rand

	mu      sync.Mutex
	t       Target
	started bool
	halted  bool
	active  []*fault // in start order
	windows []history.Fault
	errs    []error
	nerrs   int
	killed  map[string]int // node -> active kill faults holding it down
	paused  map[string]int // node -> active pause faults holding it paused
	watches []func()       // cancels the armed phase watches
}

// fault is one started fault, until it is stopped.
type fault struct {
	kind   *kindSpec
	window int // index into Nemesis.windows

	grudge  network.Grudge       // partition
	nodes   []string             // kill, pause
	packet  network.PacketFaults // packet
	offsets []nodeOffset         // clock bump
	strobe  *strobe              // clock strobe
	stopped bool
}

type nodeOffset struct {
	node string
	d    time.Duration
}

// strobe flips one node's clock between +delta and its normal offset.
type strobe struct {
	node   string
	delta  time.Duration
	period time.Duration
	on     bool
}

// New returns a nemesis that runs each of the named fault kinds on its own
// start/stop schedule with the given interval, drawing every choice from
// rng. "none" and empty names add nothing; duplicates count once. An unknown
// name is an error listing the valid ones.
func New(kinds []string, interval time.Duration, rng *rand.Rand) (*Nemesis, error) {
	n := &Nemesis{interval: interval, rng: rng, killed: map[string]int{}, paused: map[string]int{}}
	for _, raw := range kinds {
		name := strings.TrimSpace(raw)
		if name == "" || name == "none" {
			continue
		}
		spec := lookup(name)
		if spec == nil {
			return nil, fmt.Errorf("unknown nemesis %q (valid: %s)", name, strings.Join(Names(), ", "))
		}
		if !slices.Contains(n.kinds, spec) {
			n.kinds = append(n.kinds, spec)
		}
	}
	if len(n.kinds) > 0 {
		if interval <= 0 {
			return nil, fmt.Errorf("nemesis interval must be positive, got %v", interval)
		}
		if rng == nil {
			return nil, errors.New("nemesis needs a random source")
		}
	}
	return n, nil
}

// Kinds lists the configured fault kinds, in the order given.
func (n *Nemesis) Kinds() []string {
	names := make([]string, len(n.kinds))
	for i, k := range n.kinds {
		names[i] = k.name
	}
	return names
}

// FirstStart is how long after Start the first fault of kind starts (see
// Start), 0 for a kind not configured.
func (n *Nemesis) FirstStart(kind string) time.Duration {
	for i, spec := range n.kinds {
		if spec.name == kind {
			return n.firstStart(i)
		}
	}
	return 0
}

// firstStart staggers the kinds over the first interval, so that several
// kinds do not all strike at once: kind i of k starts at interval*(1+i/k).
func (n *Nemesis) firstStart(i int) time.Duration {
	return n.interval + time.Duration(i)*n.interval/time.Duration(len(n.kinds))
}

// Silent lists the configured kinds that would inject nothing in a main
// phase lasting limit: their first fault would start at or after it.
func (n *Nemesis) Silent(limit time.Duration) []string {
	var kinds []string
	for _, spec := range n.kinds {
		if n.FirstStart(spec.name) >= limit {
			kinds = append(kinds, spec.name)
		}
	}
	return kinds
}

// Start schedules the faults on t. Times are on t's clock: kind i of k
// starts its first fault at now + interval + i*interval/k, stops it an
// interval later, starts the next one an interval after that, and so on;
// no fault starts at or after until. A fault started before until still
// stops an interval after it started, or at HealAll if that comes first.
// until is a time on t's clock, not a duration from now.
func (n *Nemesis) Start(t Target, until time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		n.record(errors.New("nemesis started twice"))
		return
	}
	n.started, n.t = true, t
	for i, spec := range n.kinds {
		t.After(n.firstStart(i), func() { n.cycle(spec, until) })
	}
}

// cycle starts one fault of spec, schedules its stop and the next cycle.
func (n *Nemesis) cycle(spec *kindSpec, until time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.halted || n.t.Now() >= until {
		return
	}
	if spec.phase != "" {
		n.arm(spec, until)
		return
	}
	n.hold1(n.begin(spec), spec, until)
}

// hold1 stops f (which may be nil: nothing started) an interval from now,
// and schedules the next cycle an interval after that.
func (n *Nemesis) hold1(f *fault, spec *kindSpec, until time.Duration) {
	n.t.After(n.interval, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if f != nil {
			n.end(f)
		}
		if !n.halted {
			n.t.After(n.interval, func() { n.cycle(spec, until) })
		}
	})
}

// arm starts a fault that waits for its moment: the first node to enter
// spec.phase within an interval is its target, struck at that instant
// (inside the node's step, so that the node does nothing more). The fault
// then lasts an interval. When no node enters the phase in time, the
// cycle is skipped.
func (n *Nemesis) arm(spec *kindSpec, until time.Duration) {
	w, ok := n.t.(PhaseWatcher)
	if !ok {
		n.logf("skip %s: the runtime does not report its nodes' phases", spec.name)
		n.hold1(nil, spec, until)
		return
	}
	fired := false
	cancel := w.WatchPhase(spec.phase, func(node string) {
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.halted {
			return
		}
		fired = true
		n.hold1(n.start(spec, &fault{nodes: []string{node}}, "entering phase "+spec.phase), spec, until)
	})
	n.watches = append(n.watches, cancel)
	n.t.After(n.interval, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if fired || n.halted {
			return
		}
		cancel()
		n.logf("skip %s: no node entered phase %q within %v", spec.name, spec.phase, n.interval)
		n.t.After(n.interval, func() { n.cycle(spec, until) })
	})
}

// HealAll stops every active fault, heals the network and ends the
// schedule: no fault starts after it.
func (n *Nemesis) HealAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.halted = true
	for _, cancel := range n.watches {
		cancel()
	}
	n.watches = nil
	if n.t == nil {
		return
	}
	for i := len(n.active) - 1; i >= 0; i-- {
		n.end(n.active[i])
	}
	n.t.Heal()
}

// Faults returns the fault windows so far, in start order. A fault still
// active ends now.
func (n *Nemesis) Faults() []history.Fault {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.windows)
	if n.t != nil {
		now := int64(n.t.Now())
		for _, f := range n.active {
			out[f.window].End = now
		}
	}
	return out
}

// Err reports the errors the target returned, or nil.
func (n *Nemesis) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nerrs == 0 {
		return nil
	}
	errs := slices.Clone(n.errs)
	if more := n.nerrs - len(n.errs); more > 0 {
		errs = append(errs, fmt.Errorf("and %d more nemesis errors", more))
	}
	return errors.Join(errs...)
}

const maxErrs = 16

func (n *Nemesis) record(err error) {
	n.nerrs++
	if len(n.errs) < maxErrs {
		n.errs = append(n.errs, err)
	}
	n.logf("error: %v", err)
}

func (n *Nemesis) logf(format string, args ...any) {
	if n.Logf == nil {
		return
	}
	at := time.Duration(0)
	if n.t != nil {
		at = n.t.Now()
	}
	n.Logf("nemesis %s "+format, append([]any{fmtTime(at)}, args...)...)
}

func fmtTime(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// begin starts one fault of spec: it chooses the targets, applies the new
// combination of faults, and opens a window. It returns nil when there was
// nothing to do or the target refused.
func (n *Nemesis) begin(spec *kindSpec) *fault {
	nodes := slices.Clone(n.t.Nodes())
	f, detail := spec.plan(n, nodes)
	if f == nil {
		n.logf("skip %s: %s", spec.name, detail)
		return nil
	}
	return n.start(spec, f, detail)
}

// start applies a planned fault; see begin.
func (n *Nemesis) start(spec *kindSpec, f *fault, detail string) *fault {
	f.kind = spec
	n.active = append(n.active, f)
	ok := true
	switch spec.family {
	case "partition":
		ok = n.applyPartition() == nil
	case "kill":
		f.nodes = n.hold(f.nodes, n.killed, n.t.Kill)
		detail = fmt.Sprintf("%s [%s]", detail, strings.Join(f.nodes, ","))
		ok = len(f.nodes) > 0
	case "pause":
		f.nodes = n.hold(f.nodes, n.paused, func(node string) error {
			if n.killed[node] > 0 {
				return nil // down: a restart re-pauses it while this holds
			}
			return n.t.Pause(node)
		})
		detail = fmt.Sprintf("%s [%s]", detail, strings.Join(f.nodes, ","))
		ok = len(f.nodes) > 0
	case "packet":
		n.applyPacket()
	case "clock":
		if len(n.Clients) > 0 {
			detail += n.skewClients(f)
		}
		for _, node := range f.clockNodes() {
			n.applyClock(node)
		}
		if s := f.strobe; s != nil {
			n.t.After(s.period, func() { n.flip(f) })
		}
	}
	if !ok {
		f.stopped = true
		n.active = n.active[:len(n.active)-1]
		n.logf("skip %s: %s: the target refused", spec.name, detail)
		return nil
	}
	f.window = len(n.windows)
	n.windows = append(n.windows, history.Fault{Kind: spec.family, Detail: detail, Start: int64(n.t.Now())})
	n.logf("start %s %s", spec.family, detail)
	if spec.family == "pause" && len(n.Clients) > 0 {
		n.pauseHolder(f)
	}
	return f
}

// pauseHolder adds a client that holds something (reports HolderRole) to
// pause fault f, or, when none does yet, tries again a millisecond later
// until one does or f stops.
func (n *Nemesis) pauseHolder(f *fault) {
	if f.stopped {
		return
	}
	var holders []string
	for _, c := range n.Clients {
		if n.t.Role(c) == n.HolderRole {
			holders = append(holders, c)
		}
	}
	if len(holders) == 0 {
		n.t.After(time.Millisecond, func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.pauseHolder(f)
		})
		return
	}
	held := n.hold([]string{pick(n.rng, holders)}, n.paused, n.t.Pause)
	f.nodes = append(f.nodes, held...)
	for _, c := range held {
		n.windows[f.window].Detail += " + holder " + c
		n.logf("pause holder %s", c)
	}
}

// skewClients adds to clock fault f an offset for each of a random
// non-empty subset of the clients.
func (n *Nemesis) skewClients(f *fault) string {
	chosen := inOrder(n.Clients, shuffled(n.rng, n.Clients)[:1+n.rng.IntN(len(n.Clients))])
	var parts []string
	for _, c := range chosen {
		d := skew(n.rng)
		f.offsets = append(f.offsets, nodeOffset{node: c, d: d})
		parts = append(parts, c+signed(d))
	}
	return " + clients " + strings.Join(parts, " ")
}

// flip toggles a strobe and schedules the next flip, until f stops.
func (n *Nemesis) flip(f *fault) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if f.stopped {
		return
	}
	f.strobe.on = !f.strobe.on
	n.applyClock(f.strobe.node)
	n.t.After(f.strobe.period, func() { n.flip(f) })
}

// end stops f, restoring whatever the remaining faults do not hold, and
// closes its window.
func (n *Nemesis) end(f *fault) {
	if f.stopped {
		return
	}
	f.stopped = true
	n.active = slices.DeleteFunc(n.active, func(g *fault) bool { return g == f })
	switch {
	case f.kind.family == "partition":
		n.applyPartition()
	case f.kind.family == "kill":
		n.release(f.nodes, n.killed, func(node string) error {
			if err := n.t.Restart(node); err != nil {
				return err
			}
			if n.paused[node] > 0 {
				// A restart brings a node back running; a pause still in
				// force keeps it stopped.
				return n.t.Pause(node)
			}
			return nil
		})
	case f.kind.family == "pause":
		n.release(f.nodes, n.paused, func(node string) error {
			if n.killed[node] > 0 {
				return nil // down: the restart will see it is no longer paused
			}
			return n.t.Resume(node)
		})
	case f.kind.family == "packet":
		n.applyPacket()
	case f.kind.family == "clock":
		for _, node := range f.clockNodes() {
			n.applyClock(node)
		}
	}
	n.windows[f.window].End = int64(n.t.Now())
	n.logf("stop %s %s", f.kind.family, n.windows[f.window].Detail)
}

// hold applies act to each node no other fault of the same family holds, and
// counts the hold; it returns the nodes now held by this fault.
func (n *Nemesis) hold(nodes []string, count map[string]int, act func(string) error) []string {
	var held []string
	for _, node := range nodes {
		if count[node] == 0 {
			if err := act(node); err != nil {
				n.record(err)
				continue
			}
		}
		count[node]++
		held = append(held, node)
	}
	return held
}

// release drops this fault's hold on nodes and applies act to each node no
// fault holds any more.
func (n *Nemesis) release(nodes []string, count map[string]int, act func(string) error) {
	for _, node := range nodes {
		count[node]--
		if count[node] > 0 {
			continue
		}
		delete(count, node)
		if err := act(node); err != nil {
			n.record(err)
		}
	}
}

// applyPartition sets the union of the active partitions.
func (n *Nemesis) applyPartition() error {
	var gs []network.Grudge
	for _, f := range n.active {
		if f.grudge != nil {
			gs = append(gs, f.grudge)
		}
	}
	if len(gs) == 0 {
		n.t.Heal() // also clears packet faults: put back any still active
		if p := n.packetFaults(); p.Active() {
			n.applyPacket()
		}
		return nil
	}
	err := n.t.Partition(union(n.t.Nodes(), gs))
	if err != nil {
		n.record(err)
	}
	return err
}

// packetFaults is the strongest of the active packet faults, field by field,
// on the union of their targets (every link if any of them has no targets).
func (n *Nemesis) packetFaults() network.PacketFaults {
	var p network.PacketFaults
	var targets []string
	everyLink := false
	for _, f := range n.active {
		if f.kind.family != "packet" {
			continue
		}
		p.Loss = max(p.Loss, f.packet.Loss)
		p.Burst = max(p.Burst, f.packet.Burst)
		p.Dup = max(p.Dup, f.packet.Dup)
		p.Delay = max(p.Delay, f.packet.Delay)
		p.Reorder = max(p.Reorder, f.packet.Reorder)
		everyLink = everyLink || len(f.packet.Targets) == 0
		targets = append(targets, f.packet.Targets...)
	}
	if !everyLink {
		p.Targets = inOrder(n.t.Nodes(), targets)
	}
	return p
}

func (n *Nemesis) applyPacket() {
	if err := n.t.SetPacketFaults(n.packetFaults()); err != nil {
		n.record(err)
	}
}

// applyClock sets node's offset to the sum of the active clock faults'.
func (n *Nemesis) applyClock(node string) {
	var sum time.Duration
	for _, f := range n.active {
		for _, o := range f.offsets {
			if o.node == node {
				sum += o.d
			}
		}
		if s := f.strobe; s != nil && s.node == node && s.on {
			sum += s.delta
		}
	}
	if err := n.t.SetClockOffset(node, sum); err != nil {
		n.record(err)
	}
}

func (f *fault) clockNodes() []string {
	var nodes []string
	for _, o := range f.offsets {
		nodes = append(nodes, o.node)
	}
	if f.strobe != nil {
		nodes = append(nodes, f.strobe.node)
	}
	return nodes
}

// leaders lists the nodes reporting a leader role, in node order.
func (n *Nemesis) leaders(nodes []string) []string {
	roles := n.LeaderRoles
	if roles == nil {
		roles = DefaultLeaderRoles
	}
	var out []string
	for _, node := range nodes {
		if r := n.t.Role(node); r != "" && slices.Contains(roles, r) {
			out = append(out, node)
		}
	}
	return out
}

// union merges grudges; its lists follow the order of nodes, then any other
// names in the order met.
func union(nodes []string, gs []network.Grudge) network.Grudge {
	order := slices.Clone(nodes)
	known := map[string]bool{}
	for _, node := range nodes {
		known[node] = true
	}
	cut := map[[2]string]bool{}
	for _, g := range gs {
		for _, dest := range sortedKeys(g) {
			for _, src := range g[dest] {
				cut[[2]string{dest, src}] = true
				for _, id := range []string{dest, src} {
					if !known[id] {
						known[id] = true
						order = append(order, id)
					}
				}
			}
		}
	}
	out := network.Grudge{}
	for _, dest := range order {
		for _, src := range order {
			if cut[[2]string{dest, src}] {
				out[dest] = append(out[dest], src)
			}
		}
	}
	return out
}

func sortedKeys(g network.Grudge) []string {
	keys := make([]string, 0, len(g))
	for k := range g {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
