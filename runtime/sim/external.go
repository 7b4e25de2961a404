package sim

import (
	"fmt"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/runtime/network"
)

// External is a server node that lives outside the simulator: a child
// process. The simulator still owns its links (latency, loss, partitions) and
// its fault state; the External carries messages and signals to the process.
// Its methods are called from the simulation loop and must not block.
type External interface {
	// Boot starts (or restarts) the node and sends it init with the cluster's
	// node ids. Messages from it reach the simulation through Sim.Post and
	// Sim.Inject.
	Boot(nodeIDs []string) error
	Deliver(msg maelstrom.Msg)
	Kill()
	Pause()
	Resume()
}

// AddExternal adds a server node hosted outside the simulator.
func (s *Sim) AddExternal(id string, ext External) {
	s.add(id, network.Server, nil)
	s.endpoints[s.index[id]].ext = ext
	s.serverIDs = append(s.serverIDs, id)
}

// Inject routes a message an external node sent, headers as it wrote them.
// Call it from the loop (inside a function given to Post). A message from a
// node that is down (a line written just before a kill) is dropped.
func (s *Sim) Inject(msg maelstrom.Msg) {
	src, ok := s.index[msg.Src]
	if !ok {
		s.fail(fmt.Errorf("a node wrote a message with src %q, which is no node of this cluster (known: %v)", msg.Src, s.ids()))
		return
	}
	if ep := s.endpoints[src]; !ep.alive {
		s.stats.Dropped++
		return
	}
	s.send(s.endpoints[src], msg)
}

// Fail ends the run with err, as a node's misbehaviour does.
func (s *Sim) Fail(err error) { s.fail(err) }

// Post queues f to run in the simulation loop. Safe from any goroutine; used
// by process readers in real-time mode.
func (s *Sim) Post(f func()) {
	s.inbox <- f
}

// realTimeWait blocks until wall time reaches at (virtual time in real-time
// mode is wall time since Start), running posted functions meanwhile. It
// returns early on a posted function so that the loop can re-check its queue.
func (s *Sim) realTimeWait(at int64) {
	d := time.Duration(at) - time.Since(s.wallStart)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case f := <-s.inbox:
		s.now = max(s.now, int64(time.Since(s.wallStart)))
		f()
	case <-timer.C:
	case <-s.wake:
	}
}
