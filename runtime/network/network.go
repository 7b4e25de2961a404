// Package network is the network model both runtimes route messages
// through: latency, loss, duplication, reordering and partitions.
//
// Like Maelstrom's, it gives client links no latency (latency on client links
// hides anomalies rather than revealing them) and never cuts them; faults act
// on the links between server nodes. Links to the built-in services have
// latency but no faults, a client's included: a client that uses a service
// (the lock workload's protected resource) reaches it across the network as
// a node does.
package network

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Kind is what an endpoint is, which decides how its links behave.
type Kind uint8

const (
	Server Kind = iota
	Client
	Service
)

// Dist is a latency distribution.
type Dist string

const (
	Constant    Dist = "constant"
	Uniform     Dist = "uniform"     // uniform on [0, 2*mean]
	Exponential Dist = "exponential" // exponential with the mean
)

// ParseDist accepts the distribution names of Maelstrom's --latency-dist.
func ParseDist(s string) (Dist, error) {
	switch d := Dist(s); d {
	case Constant, Uniform, Exponential:
		return d, nil
	}
	return "", fmt.Errorf("unknown latency distribution %q (valid: constant, uniform, exponential)", s)
}

// Config is the network's normal behaviour.
type Config struct {
	Latency time.Duration // mean one-way latency between servers and to services
	Dist    Dist
	Loss    float64 // probability a server-to-server message is lost
	Dup     float64 // probability a server-to-server message is delivered twice
}

// PacketFaults are the packet nemesis's temporary additions to Config.
type PacketFaults struct {
	Loss float64 // extra loss probability: the long-run fraction of messages lost
	// Burst is the mean duration of a loss burst on one link. Real losses
	// come in bursts (a congested queue, a flapping link), which is why
	// Jepsen gives netem's loss a 75% correlation, and a burst is what
	// silences a heartbeat long enough to be suspected. Each directed link
	// drops everything during its bursts, which last an exponential time
	// with this mean and start at a rate that keeps the fraction of time in
	// a burst at Loss. Bursts are measured in time, not messages, so a
	// quiet link is not silenced for longer than a busy one. Zero means
	// independent losses.
	Burst   time.Duration
	Dup     float64       // extra duplication probability
	Delay   time.Duration // extra delay on every server-to-server message
	Reorder float64       // probability a message is held back by up to 10x the mean latency (at least 10 ms)
	// Targets limits the faults to links with at least one end among these
	// nodes, both directions, as Jepsen's packet nemesis shapes the
	// traffic of its target nodes; empty means every server-to-server link.
	Targets []string
}

// Active reports whether any packet fault is set.
func (p PacketFaults) Active() bool {
	return p.Loss > 0 || p.Dup > 0 || p.Delay > 0 || p.Reorder > 0
}

// Grudge describes a partition: for each receiving node, the nodes whose
// messages it drops. A grudge need not be symmetric, so one-way partitions
// are expressible.
type Grudge map[string][]string

// String renders the grudge deterministically, for logs and results.
func (g Grudge) String() string {
	dests := make([]string, 0, len(g))
	for d := range g {
		dests = append(dests, d)
	}
	sort.Strings(dests)
	var b strings.Builder
	for i, d := range dests {
		if i > 0 {
			b.WriteString(" ")
		}
		srcs := append([]string(nil), g[d]...)
		sort.Strings(srcs)
		fmt.Fprintf(&b, "%s<-x-[%s]", d, strings.Join(srcs, ","))
	}
	return b.String()
}

// Model decides the fate of each message. Endpoints are numbered by the
// runtime; the model only needs their kinds.
type Model struct {
	cfg    Config
	faults PacketFaults
	// targeted[i] is true for the packet faults' target endpoints; nil
	// when they apply to every link.
	targeted []bool
	// bursts holds each link's current or next loss burst, made on the
	// link's first message under a bursty fault (a map: a 1,000-node
	// cluster has a million links, few of them faulted at once).
	bursts map[link]burst
	kinds  []Kind
	// cut[dest][src] is true when dest drops messages from src.
	cut [][]bool
	rng *rand.Rand
}

// NewModel returns a model for endpoints of the given kinds, drawing its
// randomness from rng.
func NewModel(cfg Config, kinds []Kind, rng *rand.Rand) *Model {
	if cfg.Dist == "" {
		cfg.Dist = Constant
	}
	return &Model{cfg: cfg, kinds: kinds, rng: rng, cut: square(len(kinds)), bursts: map[link]burst{}}
}

// link is a directed link between two endpoints.
type link struct{ src, dest int32 }

// burst is a loss burst on one link: messages sent in [start, end) are
// lost. Zero until the link's first message under a bursty fault.
type burst struct{ start, end time.Duration }

func square(n int) [][]bool {
	rows := make([][]bool, n)
	for i := range rows {
		rows[i] = make([]bool, n)
	}
	return rows
}

// SetPartition replaces the current partition. index maps node ids to
// endpoint numbers; unknown ids are an error.
func (m *Model) SetPartition(g Grudge, index func(string) (int, bool)) error {
	fresh := square(len(m.kinds))
	for dest, srcs := range g {
		d, ok := index(dest)
		if !ok {
			return fmt.Errorf("partition names unknown node %q", dest)
		}
		for _, src := range srcs {
			s, ok := index(src)
			if !ok {
				return fmt.Errorf("partition names unknown node %q", src)
			}
			fresh[d][s] = true
		}
	}
	m.cut = fresh
	return nil
}

// Heal removes every partition and packet fault.
func (m *Model) Heal() {
	for _, row := range m.cut {
		clear(row)
	}
	m.setFaults(PacketFaults{}, nil)
}

// SetPacketFaults replaces the packet faults. index maps node ids to
// endpoint numbers; unknown target ids are an error.
func (m *Model) SetPacketFaults(p PacketFaults, index func(string) (int, bool)) error {
	var targeted []bool
	if len(p.Targets) > 0 {
		targeted = make([]bool, len(m.kinds))
		for _, id := range p.Targets {
			i, ok := index(id)
			if !ok {
				return fmt.Errorf("packet faults name unknown node %q", id)
			}
			targeted[i] = true
		}
	}
	m.setFaults(p, targeted)
	return nil
}

func (m *Model) setFaults(p PacketFaults, targeted []bool) {
	m.faults, m.targeted = p, targeted
	clear(m.bursts)
}

// Cut reports whether dest currently drops messages from src.
func (m *Model) Cut(src, dest int) bool { return m.cut[dest][src] }

// faulty reports whether faults apply to a link: only server-to-server ones.
func (m *Model) faulty(src, dest int) bool {
	return m.kinds[src] == Server && m.kinds[dest] == Server
}

// Route decides how a message from src to dest, sent at time at, is
// delivered: it returns how many copies arrive (0, 1 or 2) and the delay
// of each.
func (m *Model) Route(src, dest int, at time.Duration) (copies int, delays [2]time.Duration) {
	if m.kinds[src] == Client && m.kinds[dest] == Service || m.kinds[src] == Service && m.kinds[dest] == Client {
		delays[0] = m.latency()
		return 1, delays
	}
	if m.kinds[src] == Client || m.kinds[dest] == Client {
		return 1, delays
	}
	if !m.faulty(src, dest) {
		delays[0] = m.latency()
		return 1, delays
	}
	if m.cut[dest][src] {
		return 0, delays
	}
	var f PacketFaults
	if m.targeted == nil || m.targeted[src] || m.targeted[dest] {
		f = m.faults
	}
	if m.cfg.Loss > 0 && m.rng.Float64() < m.cfg.Loss {
		return 0, delays
	}
	if f.Loss > 0 && m.lost(src, dest, at, f.Loss, f.Burst) {
		return 0, delays
	}
	copies = 1
	if p := m.cfg.Dup + f.Dup; p > 0 && m.rng.Float64() < p {
		copies = 2
	}
	for i := range copies {
		delays[i] = m.latency() + f.Delay
		if f.Reorder > 0 && m.rng.Float64() < f.Reorder {
			hold := 10 * m.cfg.Latency
			if hold < 10*time.Millisecond {
				hold = 10 * time.Millisecond
			}
			delays[i] += time.Duration(m.rng.Int64N(int64(hold)))
		}
	}
	return copies, delays
}

// lost reports whether a message sent on the link at time at is lost.
// Bursts alternate with quiet gaps, both exponential: bursts with mean
// meanBurst, gaps with mean meanBurst*(1-loss)/loss, so that the fraction of time
// spent in bursts is loss.
func (m *Model) lost(src, dest int, at time.Duration, loss float64, meanBurst time.Duration) bool {
	if meanBurst <= 0 || loss >= 1 {
		return m.rng.Float64() < loss
	}
	exp := func(mean float64) time.Duration {
		return time.Duration(-math.Log(1-m.rng.Float64()) * mean)
	}
	gap := float64(meanBurst) * (1 - loss) / loss
	l := link{int32(src), int32(dest)}
	b := m.bursts[l]
	if b.end == 0 {
		b.start = at + exp(gap)
		b.end = b.start + exp(float64(meanBurst))
	}
	for at >= b.end {
		b.start = b.end + exp(gap)
		b.end = b.start + exp(float64(meanBurst))
	}
	m.bursts[l] = b
	return at >= b.start
}

// latency draws one delay from the configured distribution.
func (m *Model) latency() time.Duration {
	mean := m.cfg.Latency
	if mean <= 0 {
		return 0
	}
	switch m.cfg.Dist {
	case Uniform:
		return time.Duration(m.rng.Int64N(2*int64(mean) + 1))
	case Exponential:
		return time.Duration(-math.Log(1-m.rng.Float64()) * float64(mean))
	default:
		return mean
	}
}
