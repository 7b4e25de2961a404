// Package sim is the deterministic simulator: a single-threaded
// discrete-event loop in virtual time that hosts nodes as in-process state
// machines and carries their messages through the network model.
//
// Every source of randomness is a PRNG stream derived from the seed and a
// component name, so the same seed and configuration give the same run, and
// changing one component does not perturb the others' draws.
package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/runtime/network"
)

// Config configures a simulation.
type Config struct {
	Seed    int64
	Network network.Config
	// LoseUnsynced makes a crash drop store writes that were not synced.
	LoseUnsynced bool
	// LogLimit caps each endpoint's kept log, in bytes (0: 4 MiB).
	LogLimit int
	// RealTime makes virtual time follow the wall clock, for runs with
	// external nodes (real processes): events wait for their time, and
	// functions posted from other goroutines run in between.
	RealTime bool
}

// Stats counts messages the network carried, by link kind, at send time.
type Stats struct {
	ServerServer  int64 // between server nodes
	ClientServer  int64 // between clients and server nodes, both ways
	ServerService int64 // between server nodes and built-in services
	Dropped       int64 // lost, cut by a partition, or addressed to a dead node
	Events        int64 // events processed
	// ServerByType counts the messages between server nodes by type
	// (replies under their own type, "prepare_ok"), so that a protocol's
	// messages can be told from the rest.
	ServerByType map[string]int64
	// ForcedWrites counts the syncs that made something durable: the
	// forced log writes of the nodes' protocols.
	ForcedWrites int64
}

// Total is every message sent.
func (s Stats) Total() int64 { return s.ServerServer + s.ClientServer + s.ServerService }

// Sim is a simulated cluster.
type Sim struct {
	cfg       Config
	now       int64
	seq       uint64
	queue     eventQueue
	endpoints []*endpoint
	index     map[string]int
	serverIDs []string
	net       *network.Model
	stats     Stats
	waits     []history.Wait
	commits   []history.CommitEvent
	watchers  []*phaseWatch
	warnings  Warnings
	err       error
	interrupt atomic.Bool
	started   bool
	wallStart time.Time
	inbox     chan func()   // real-time mode: work posted by other goroutines
	wake      chan struct{} // real-time mode: Interrupt wakes a waiting loop
}

// New returns an empty simulation.
func New(cfg Config) *Sim {
	if cfg.LogLimit == 0 {
		cfg.LogLimit = 4 << 20
	}
	return &Sim{cfg: cfg, index: map[string]int{}, stats: Stats{ServerByType: map[string]int64{}}, inbox: make(chan func(), 4096), wake: make(chan struct{}, 1)}
}

// Stream returns the PRNG stream for a named component of this run.
func (s *Sim) Stream(name string) *rand.Rand { return Stream(s.cfg.Seed, name) }

// Stream derives a PRNG from a seed and a component name.
func Stream(seed int64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// AddServer adds a server node; servers are the ones faults act on. All
// endpoints must be added before Start.
func (s *Sim) AddServer(id string, factory func() nodes.Node) {
	s.add(id, network.Server, factory)
	s.serverIDs = append(s.serverIDs, id)
}

// AddService adds a built-in service: reachable with latency, never faulted.
func (s *Sim) AddService(id string, factory func() nodes.Node) {
	s.add(id, network.Service, factory)
}

// AddClient adds a client endpoint: zero-latency links, never faulted.
func (s *Sim) AddClient(id string, factory func() nodes.Node) {
	s.add(id, network.Client, factory)
}

func (s *Sim) add(id string, kind network.Kind, factory func() nodes.Node) {
	if s.started {
		panic("sim: endpoint added after Start")
	}
	if _, dup := s.index[id]; dup {
		panic("sim: duplicate endpoint " + id)
	}
	s.index[id] = len(s.endpoints)
	s.endpoints = append(s.endpoints, &endpoint{sim: s, id: id, idx: len(s.endpoints), kind: kind, factory: factory, store: newStore(s.cfg.LoseUnsynced, &s.stats.ForcedWrites)})
}

// Start builds the network and initializes every endpoint at time zero.
func (s *Sim) Start() {
	kinds := make([]network.Kind, len(s.endpoints))
	for i, ep := range s.endpoints {
		kinds[i] = ep.kind
	}
	s.net = network.NewModel(s.cfg.Network, kinds, s.Stream("network"))
	s.started = true
	s.wallStart = time.Now()
	for _, ep := range s.endpoints {
		ep.boot()
	}
}

// Now is the virtual time.
func (s *Sim) Now() time.Duration { return time.Duration(s.now) }

// Stats returns the message counters so far.
func (s *Sim) Stats() Stats {
	st := s.stats
	st.ServerByType = maps.Clone(s.stats.ServerByType)
	return st
}

// Err is the first fatal error a node caused (such as sending to an unknown
// node), or nil.
func (s *Sim) Err() error { return s.err }

// Nodes lists the server node ids.
func (s *Sim) Nodes() []string { return s.serverIDs }

// After runs f in the simulation loop d from now.
func (s *Sim) After(d time.Duration, f func()) {
	e := s.queue.alloc()
	e.kind, e.fn = evCall, f
	s.schedule(e, s.now+int64(d))
}

// Interrupt makes the running RunUntil return early; safe from any goroutine.
func (s *Sim) Interrupt() {
	s.interrupt.Store(true)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// ErrInterrupted is returned by RunUntil after Interrupt.
var ErrInterrupted = errors.New("interrupted")

// RunUntil processes events up to and including virtual time t, then sets
// the clock to t. It stops early on a fatal error or an interrupt.
func (s *Sim) RunUntil(t time.Duration) error {
	if s.cfg.RealTime {
		return s.runRealTime(int64(t))
	}
	until := int64(t)
	for s.queue.Len() > 0 && s.queue.peekAt() <= until {
		if s.err != nil {
			return s.err
		}
		if s.stats.Events&1023 == 0 && s.interrupt.Load() {
			return ErrInterrupted
		}
		e := s.queue.pop()
		s.now = e.at
		s.stats.Events++
		s.dispatch(e)
		s.queue.release(e)
	}
	if s.err != nil {
		return s.err
	}
	if s.interrupt.Load() {
		return ErrInterrupted
	}
	if until > s.now {
		s.now = until
	}
	return nil
}

// runRealTime is RunUntil when virtual time is wall time: each event runs no
// earlier than its time, and posted work runs as it arrives.
func (s *Sim) runRealTime(until int64) error {
	for {
		if s.err != nil {
			return s.err
		}
		if s.interrupt.Load() {
			return ErrInterrupted
		}
		s.drainInbox()
		s.now = max(s.now, int64(time.Since(s.wallStart)))
		if s.queue.Len() > 0 && s.queue.peekAt() <= min(s.now, until) {
			e := s.queue.pop()
			s.stats.Events++
			s.dispatch(e)
			s.queue.release(e)
			continue
		}
		if s.now >= until {
			return s.err
		}
		next := until
		if s.queue.Len() > 0 {
			next = min(next, s.queue.peekAt())
		}
		s.realTimeWait(next)
	}
}

func (s *Sim) drainInbox() {
	for {
		select {
		case f := <-s.inbox:
			s.now = max(s.now, int64(time.Since(s.wallStart)))
			f()
		default:
			return
		}
	}
}

func (s *Sim) schedule(e *event, at int64) {
	e.at = at
	s.seq++
	e.seq = s.seq
	s.queue.push(e)
}

func (s *Sim) dispatch(e *event) {
	switch e.kind {
	case evCall:
		e.fn()
	case evDeliver:
		ep := s.endpoints[e.dest]
		if s.net.Cut(e.src, e.dest) {
			// Maelstrom checks partitions on receipt too: a message in flight
			// when a partition starts is lost.
			s.stats.Dropped++
			return
		}
		ep.deliver(e.msg)
	case evTimer:
		s.endpoints[e.dest].fire(e.inc, e.timer, e.fn)
	}
}

// send routes msg from endpoint src.
func (s *Sim) send(src *endpoint, msg maelstrom.Msg) {
	dest, ok := s.index[msg.Dest]
	if !ok {
		s.fail(fmt.Errorf("%s sent a %s message to unknown node %q (known: %v)", src.id, msg.Type, msg.Dest, s.ids()))
		return
	}
	switch dk := s.endpoints[dest].kind; {
	case src.kind == network.Server && dk == network.Server:
		s.stats.ServerServer++
		s.stats.ServerByType[msg.Type]++
	case src.kind == network.Client || dk == network.Client:
		s.stats.ClientServer++
	default:
		s.stats.ServerService++
	}
	copies, delays := s.net.Route(src.idx, dest, time.Duration(s.now))
	if copies == 0 {
		s.stats.Dropped++
	}
	for i := range copies {
		e := s.queue.alloc()
		e.kind, e.src, e.dest, e.msg = evDeliver, src.idx, dest, msg
		s.schedule(e, s.now+int64(delays[i]))
	}
}

func (s *Sim) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *Sim) ids() []string {
	ids := make([]string, 0, len(s.index))
	for id := range s.index {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (s *Sim) endpoint(id string) (*endpoint, error) {
	i, ok := s.index[id]
	if !ok {
		return nil, fmt.Errorf("unknown node %q", id)
	}
	return s.endpoints[i], nil
}

// Partition replaces the current partition with g.
func (s *Sim) Partition(g network.Grudge) error {
	return s.net.SetPartition(g, func(id string) (int, bool) { i, ok := s.index[id]; return i, ok })
}

// Heal removes every partition and packet fault.
func (s *Sim) Heal() { s.net.Heal() }

// SetPacketFaults sets the packet nemesis's loss, duplication, delay and
// reordering, and the nodes whose links they affect.
func (s *Sim) SetPacketFaults(p network.PacketFaults) error {
	return s.net.SetPacketFaults(p, func(id string) (int, bool) { i, ok := s.index[id]; return i, ok })
}

// Kill crashes a node: its volatile state, timers and pending callbacks are
// gone; its store keeps what was synced (and, unless the run loses unsynced
// writes, the rest too). Messages to it are dropped until Restart.
func (s *Sim) Kill(id string) error {
	ep, err := s.endpoint(id)
	if err != nil {
		return err
	}
	ep.crash()
	return nil
}

// Restart brings a killed node back as a fresh incarnation with a new init.
func (s *Sim) Restart(id string) error {
	ep, err := s.endpoint(id)
	if err != nil {
		return err
	}
	if !ep.alive {
		ep.boot()
	}
	return nil
}

// Pause stops a node: it runs nothing until Resume; messages and timers
// that arrive meanwhile wait for it.
func (s *Sim) Pause(id string) error {
	ep, err := s.endpoint(id)
	if err != nil {
		return err
	}
	ep.pause()
	return nil
}

// Resume lets a paused node run what queued up, in arrival order.
func (s *Sim) Resume(id string) error {
	ep, err := s.endpoint(id)
	if err != nil {
		return err
	}
	ep.resume()
	return nil
}

// SetClockOffset skews a node's local clock by d relative to virtual time.
func (s *Sim) SetClockOffset(id string, d time.Duration) error {
	ep, err := s.endpoint(id)
	if err != nil {
		return err
	}
	ep.clockOffset = int64(d)
	return nil
}

// Alive reports whether a node is up (not killed; it may be paused).
func (s *Sim) Alive(id string) bool {
	ep, err := s.endpoint(id)
	return err == nil && ep.alive
}

// Role is the role a node last reported, "" when none or when it is down.
func (s *Sim) Role(id string) string {
	ep, err := s.endpoint(id)
	if err != nil || !ep.alive {
		return ""
	}
	return ep.role
}

// Commits returns the commit-state reports nodes made
// (nodes.Env.CommitState), in the order they made them.
func (s *Sim) Commits() []history.CommitEvent { return s.commits }

// Phase is the protocol phase a node last reported, "" when none or when
// it is down.
func (s *Sim) Phase(id string) string {
	ep, err := s.endpoint(id)
	if err != nil || !ep.alive {
		return ""
	}
	return ep.phase
}

// phaseWatch is one WatchPhase call, until it fires or is cancelled.
type phaseWatch struct {
	phase string
	f     func(node string)
}

// WatchPhase calls f, once, with the first node that enters phase
// (nodes.Env.SetPhase) from now on, inside that node's step: f may kill
// the node there, between the report and whatever the node meant to do
// next. cancel stops the watch if it has not fired.
func (s *Sim) WatchPhase(phase string, f func(node string)) (cancel func()) {
	w := &phaseWatch{phase: phase, f: f}
	s.watchers = append(s.watchers, w)
	return func() { s.watchers = slices.DeleteFunc(s.watchers, func(x *phaseWatch) bool { return x == w }) }
}

func (s *Sim) phaseEntered(node, phase string) {
	for _, w := range slices.Clone(s.watchers) {
		if w.phase == phase && slices.Contains(s.watchers, w) {
			s.watchers = slices.DeleteFunc(s.watchers, func(x *phaseWatch) bool { return x == w })
			w.f(node)
		}
	}
}

// Waits returns the wait-for reports nodes made (nodes.Env.WaitsFor), in
// the order they made them, with the ends of waits that crashes cut short.
func (s *Sim) Waits() []history.Wait { return s.waits }

// Logs returns each endpoint's log, keyed by id.
func (s *Sim) Logs() map[string][]byte {
	logs := make(map[string][]byte, len(s.endpoints))
	for _, ep := range s.endpoints {
		if len(ep.log) > 0 {
			logs[ep.id] = ep.log
		}
	}
	return logs
}
