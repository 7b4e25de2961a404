package proc

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ddbbench/ddbbench/runtime/sim"
)

// Cluster is the set of node processes of one run.
//
// A harness uses it in place of sim.Start:
//
//	s := sim.New(sim.Config{RealTime: true, ...})
//	// add services and clients
//	c, err := proc.NewCluster(cfg, s, ids)
//	defer c.Close()
//	err = c.Start(ctx) // every node has answered init
//	// start the workload and the nemesis, then s.RunUntil(...) in steps
type Cluster struct {
	mark  string // TokenEnv's value prefix for every node of the cluster
	s     *sim.Sim
	procs []*Process
	byID  map[string]*Process

	closeOnce sync.Once
}

// NewCluster makes a Process for each id and adds it to s as an external
// node. On an error nothing is added to s.
func NewCluster(cfg Config, s *sim.Sim, ids []string) (*Cluster, error) {
	c := &Cluster{s: s, byID: make(map[string]*Process, len(ids)), mark: newClusterMark()}
	for _, id := range ids {
		p, err := newProcess(cfg, id, s, c.mark)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.procs = append(c.procs, p)
		c.byID[id] = p
	}
	for _, p := range c.procs {
		s.AddExternal(p.id, p)
	}
	return c, nil
}

// startStep is how much (real) time the loop runs between checks while
// Start waits for init_ok.
const startStep = 2 * time.Millisecond

// Start starts the simulation, which boots every node, and returns once all
// of them have answered init. It runs the loop meanwhile, so that whatever
// goes wrong first (a node that prints garbage, exits, or is too slow to
// answer, which each node's init watchdog reports) ends the wait with that
// error, and so that the loop's clock has caught up with the time spent
// booting when the workload starts: start it after Start, not before.
//
// init_ok itself never goes through the loop: each node's stdout reader
// recognizes the reply and consumes it.
func (c *Cluster) Start(ctx context.Context) error {
	c.s.Start()
	for {
		if err := c.s.Err(); err != nil {
			return err
		}
		waiting := c.uninitialized()
		if len(waiting) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stopped waiting for init_ok from %s: %w", strings.Join(waiting, ", "), err)
		}
		if err := c.s.RunUntil(c.s.Now() + startStep); err != nil {
			return err
		}
	}
}

// uninitialized lists the nodes that have not answered init yet.
func (c *Cluster) uninitialized() []string {
	var ids []string
	for _, p := range c.procs {
		if !p.answeredInit() {
			ids = append(ids, p.id)
		}
	}
	return ids
}

// Process returns the node with the given id, or nil.
func (c *Cluster) Process(id string) *Process { return c.byID[id] }

// Processes lists the nodes in the order they were given.
func (c *Cluster) Processes() []*Process { return c.procs }

// LogCut is how much of one node's log was cut.
type LogCut struct {
	Node    string
	Limit   int64 // the log's cap (Config.LogLimit, resolved)
	Cut     int64 // bytes not kept
	Written int64 // bytes written in all
}

// LogsCut lists the nodes whose logs were cut, in node order. Call it
// after Close.
func (c *Cluster) LogsCut() []LogCut {
	var cuts []LogCut
	for _, p := range c.procs {
		if cut, written := p.LogCut(); cut > 0 {
			cuts = append(cuts, LogCut{Node: p.id, Limit: p.log.limit, Cut: cut, Written: written})
		}
	}
	return cuts
}

// Close kills every node and everything the nodes started (see TokenEnv),
// and waits until all are reaped. Safe to call more than once, and whether
// or not Start was called or succeeded.
func (c *Cluster) Close() { c.closeOnce.Do(c.close) }

func (c *Cluster) close() {
	// Stop every node first, then sweep once for all of them: one scan of
	// the process table instead of one per node.
	var groups []int
	for _, p := range c.procs {
		p.stop()
		groups = append(groups, p.groups()...)
	}
	killed := sweepKill(c.mark, groups, killWait)
	var wg sync.WaitGroup
	for _, p := range c.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.closeWith(false)
		}()
	}
	wg.Wait()
	reap(killed, killWait)
}
