package nemesis

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/runtime/network"
)

// fakeTarget is a Target with its own event loop that records every call
// and complains about calls that make no sense (killing a dead node,
// resuming a running one).
type fakeTarget struct {
	t       *testing.T
	nodes   []string
	clients []string // client endpoints, which only client-aware faults touch
	now     time.Duration
	seq     int
	events  []fakeEvent
	calls   []string
	grudge  network.Grudge
	packets network.PacketFaults
	dead    map[string]bool
	paused  map[string]bool
	offsets map[string]time.Duration
	roles   map[string]string

	failKill      map[string]bool // Kill of these nodes fails
	failPartition bool            // every Partition fails
	clockSets     int
}

type fakeEvent struct {
	at  time.Duration
	seq int
	f   func()
}

func newFake(t *testing.T, n int) *fakeTarget {
	ft := &fakeTarget{
		t:        t,
		dead:     map[string]bool{},
		paused:   map[string]bool{},
		offsets:  map[string]time.Duration{},
		roles:    map[string]string{},
		failKill: map[string]bool{},
	}
	for i := range n {
		ft.nodes = append(ft.nodes, fmt.Sprintf("n%d", i))
	}
	return ft
}

func (f *fakeTarget) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf("%v ", f.now)+fmt.Sprintf(format, args...))
}

func (f *fakeTarget) known(node string) bool {
	return slices.Contains(f.nodes, node) || slices.Contains(f.clients, node)
}

func (f *fakeTarget) Nodes() []string    { return f.nodes }
func (f *fakeTarget) Now() time.Duration { return f.now }

func (f *fakeTarget) After(d time.Duration, fn func()) {
	f.seq++
	f.events = append(f.events, fakeEvent{at: f.now + d, seq: f.seq, f: fn})
}

// run processes events up to and including until, then sets the clock to it.
func (f *fakeTarget) run(until time.Duration) {
	for {
		best := -1
		for i, e := range f.events {
			if e.at <= until && (best < 0 || e.at < f.events[best].at || e.at == f.events[best].at && e.seq < f.events[best].seq) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		e := f.events[best]
		f.events = slices.Delete(f.events, best, best+1)
		f.now = e.at
		e.f()
	}
	f.now = until
}

func (f *fakeTarget) Partition(g network.Grudge) error {
	if f.failPartition {
		return fmt.Errorf("partition refused")
	}
	for dest, srcs := range g {
		for _, id := range append([]string{dest}, srcs...) {
			if !f.known(id) {
				return fmt.Errorf("partition names unknown node %q", id)
			}
		}
	}
	f.grudge = g
	f.record("partition %v", g)
	return nil
}

func (f *fakeTarget) Heal() {
	f.grudge, f.packets = nil, network.PacketFaults{}
	f.record("heal")
}

func (f *fakeTarget) SetPacketFaults(p network.PacketFaults) error {
	for _, id := range p.Targets {
		if !f.known(id) {
			return fmt.Errorf("packet faults name unknown node %q", id)
		}
	}
	f.packets = p
	f.record("packets %+v", p)
	return nil
}

func (f *fakeTarget) Kill(node string) error {
	if !f.known(node) {
		return fmt.Errorf("unknown node %q", node)
	}
	if f.failKill[node] {
		return fmt.Errorf("cannot kill %s", node)
	}
	if f.dead[node] {
		f.t.Errorf("%v: kill of dead node %s", f.now, node)
	}
	f.dead[node], f.paused[node] = true, false
	f.record("kill %s", node)
	return nil
}

func (f *fakeTarget) Restart(node string) error {
	if !f.dead[node] {
		f.t.Errorf("%v: restart of live node %s", f.now, node)
	}
	f.dead[node], f.paused[node] = false, false
	f.record("restart %s", node)
	return nil
}

func (f *fakeTarget) Pause(node string) error {
	if f.dead[node] {
		f.t.Errorf("%v: pause of dead node %s", f.now, node)
	}
	if f.paused[node] {
		f.t.Errorf("%v: pause of paused node %s", f.now, node)
	}
	f.paused[node] = true
	f.record("pause %s", node)
	return nil
}

func (f *fakeTarget) Resume(node string) error {
	if !f.paused[node] {
		f.t.Errorf("%v: resume of running node %s", f.now, node)
	}
	f.paused[node] = false
	f.record("resume %s", node)
	return nil
}

func (f *fakeTarget) SetClockOffset(node string, d time.Duration) error {
	if !f.known(node) {
		return fmt.Errorf("unknown node %q", node)
	}
	f.clockSets++
	if d == 0 {
		delete(f.offsets, node)
	} else {
		f.offsets[node] = d
	}
	return nil
}

func (f *fakeTarget) Role(node string) string {
	if f.dead[node] {
		return ""
	}
	return f.roles[node]
}

// healthy reports what, if anything, is still faulted.
func (f *fakeTarget) healthy() error {
	for _, node := range append(slices.Clone(f.nodes), f.clients...) {
		if f.dead[node] {
			return fmt.Errorf("%s still dead", node)
		}
		if f.paused[node] {
			return fmt.Errorf("%s still paused", node)
		}
	}
	if len(f.grudge) > 0 {
		return fmt.Errorf("partition still in force: %v", f.grudge)
	}
	if f.packets.Active() {
		return fmt.Errorf("packet faults still in force: %+v", f.packets)
	}
	if len(f.offsets) > 0 {
		return fmt.Errorf("clock offsets still set: %v", f.offsets)
	}
	return nil
}
