package workloads

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// Turnaround is the time a client takes between one operation's completion
// and its next invocation. It must be positive: in the simulator an operation
// can complete in zero time, and Porcupine takes operations whose intervals
// touch for concurrent, so a client's back-to-back operations at one instant
// would look concurrent and make the check exponential.
const Turnaround = time.Microsecond

// DriverConfig sets the load.
type DriverConfig struct {
	Rate      float64       // operations per second across all clients, open loop
	OpTimeout time.Duration // a client gives up on an operation after this (info)
	// Nodes are the server nodes; client i talks to Nodes[i mod len(Nodes)].
	Nodes []string
	// MaxBacklog bounds the arrivals waiting for a free client
	// (DefaultMaxBacklog when 0). An arrival that finds the backlog full
	// counts as Unstarted at once. A schedule that far beyond what the
	// clients manage says all it can through that count, and memory stays
	// bounded however high the rate.
	MaxBacklog int
}

// DefaultMaxBacklog is DriverConfig.MaxBacklog's default: deep enough that
// a backlog reaching it means the system is hopelessly behind the schedule
// (a hundred thousand operations wait), small enough to cost a few
// megabytes.
const DefaultMaxBacklog = 100_000

// Driver runs a workload as open-loop load: operations arrive on a fixed
// schedule at the configured rate whether or not the system keeps up, each
// client runs one operation at a time, and an arrival that finds every
// client busy waits in a backlog. Latency is measured from the arrival (the
// intended start), so waiting in the backlog counts: no coordinated omission.
//
// Arrivals are a Poisson process: exponential gaps with mean 1/rate.
// (Maelstrom's gen/stagger draws gaps uniformly from [0, 2/rate], with the
// same mean; Poisson arrivals are burstier, which puts more operations on a
// key at once and catches races more often: lww's fault-free anomaly, 2
// seeds in 20 against none in 20 with uniform gaps.) Each arrival is due at
// the previous one's intended time plus its gap, never at the time the
// previous one actually fired: with real processes the loop can fire late,
// and scheduling from the late time would let the lateness add up into a
// lower rate than asked for. A late loop instead fires the overdue arrivals
// at once.
//
// An operation is generated when a client takes its arrival, so that a
// ClientGenerator can shape it by that client.
type Driver struct {
	w       Workload
	cfg     DriverConfig
	sched   Scheduler
	rng     *rand.Rand
	clients []*Client

	backlog     []arrival
	nextArrival time.Duration // the intended time of the next arrival
	next        int           // round-robin start for picking a free client
	nextProcess int
	outstanding int
	stepping    int // clients working between two operations of a sequence
	generating  bool
	stopped     bool
	abandoned   bool
	hist        history.History
	// Arrivals counts the main phase's arrivals; Started those a client
	// invoked. Started over the time limit is the rate achieved.
	Arrivals, Started int
	// Unstarted counts arrivals the clients never got to: still in the
	// backlog when the main phase ended, or turned away by a full one.
	Unstarted int
	// OnComplete, when set, is called after each operation completes.
	OnComplete func(op *history.Op)
	finalDone  func()
}

// arrival is an operation due at intended: a final operation made in
// advance, or (op nil) a main-phase operation generated when a client takes
// it.
type arrival struct {
	intended time.Duration
	op       *history.Op
}

// ClientGenerator is implemented by workloads whose operations depend on the
// client that runs them, as the register workload gives each group of
// clients keys of its own (Jepsen's independent-key generator). The driver
// calls GenerateFor, with the client's index and its current logical
// process (a new one after each info operation), instead of Generate.
type ClientGenerator interface {
	GenerateFor(rng *rand.Rand, client, process int) *history.Op
}

// NewDriver returns a driver for w with n clients drawing from rng.
func NewDriver(w Workload, cfg DriverConfig, n int, rng *rand.Rand) *Driver {
	if cfg.MaxBacklog <= 0 {
		cfg.MaxBacklog = DefaultMaxBacklog
	}
	d := &Driver{w: w, cfg: cfg, rng: rng}
	for i := range n {
		d.clients = append(d.clients, &Client{driver: d, id: fmt.Sprintf("c%d", i), index: i, process: i, node: cfg.Nodes[i%len(cfg.Nodes)]})
	}
	d.nextProcess = n
	return d
}

// Clients are the driver's clients, to be hosted by the runtime as endpoints
// with these ids.
func (d *Driver) Clients() []*Client { return d.clients }

// History is what has completed so far, in completion order.
func (d *Driver) History() history.History { return d.hist }

// Backlog is the number of arrivals waiting for a free client.
func (d *Driver) Backlog() int { return len(d.backlog) }

// Outstanding is the number of operations invoked and not yet completed,
// and of sequences whose client is working towards its next operation.
func (d *Driver) Outstanding() int { return d.outstanding + d.stepping }

// Start begins generating arrivals on sched until Stop. A Preparer
// workload's requests go out first, from the first client; the load starts
// once each has been answered or has timed out.
func (d *Driver) Start(sched Scheduler) {
	d.sched = sched
	begin := func() {
		if d.cfg.Rate > 0 && !d.stopped {
			d.generating = true
			d.nextArrival = d.sched.Now()
			d.scheduleArrival()
		}
	}
	p, ok := d.w.(Preparer)
	if !ok {
		begin()
		return
	}
	reqs := p.Prepare(d.cfg.Nodes)
	if len(reqs) == 0 {
		begin()
		return
	}
	left := len(reqs)
	for _, r := range reqs {
		d.clients[0].env.RPC(r.Dest, r.Type, r.Body, d.cfg.OpTimeout, func(maelstrom.Msg, error) {
			if left--; left == 0 {
				begin()
			}
		})
	}
}

// Stop ends the main phase: no more arrivals, and arrivals still waiting for
// a client are dropped (counted in Unstarted).
func (d *Driver) Stop() {
	d.generating, d.stopped = false, true
	d.Unstarted += len(d.backlog)
	d.backlog = nil
}

func (d *Driver) scheduleArrival() {
	d.nextArrival += d.gap()
	d.sched.After(max(0, d.nextArrival-d.sched.Now()), d.arrive)
}

// arrive puts the arrival due now into the backlog, and, when the loop
// fired late, every later one already due, each with its intended time.
func (d *Driver) arrive() {
	if !d.generating {
		return
	}
	for {
		d.Arrivals++
		if len(d.backlog) < d.cfg.MaxBacklog {
			d.backlog = append(d.backlog, arrival{intended: d.nextArrival})
			d.dispatch()
		} else {
			d.Unstarted++ // turned away: the system is hopelessly behind
		}
		d.nextArrival += d.gap()
		if d.nextArrival > d.sched.Now() {
			break
		}
	}
	d.sched.After(d.nextArrival-d.sched.Now(), d.arrive)
}

// gap draws the time to the next arrival.
func (d *Driver) gap() time.Duration {
	return time.Duration(d.rng.ExpFloat64() / d.cfg.Rate * float64(time.Second))
}

// RunFinal issues final operations (the workload's Final), spread over the
// clients, and calls done once all of them, and any a FinalFollower adds,
// have completed.
func (d *Driver) RunFinal(ops []*history.Op, done func()) {
	for _, op := range ops {
		op.Final = true
		d.backlog = append(d.backlog, arrival{intended: d.sched.Now(), op: op})
	}
	d.finalDone = done
	d.dispatch()
	d.checkFinalDone()
}

func (d *Driver) checkFinalDone() {
	if d.finalDone != nil && len(d.backlog) == 0 && d.outstanding == 0 {
		done := d.finalDone
		d.finalDone = nil
		done()
	}
}

// dispatch hands waiting operations to free clients, round robin.
func (d *Driver) dispatch() {
	for len(d.backlog) > 0 {
		c := d.freeClient()
		if c == nil {
			return
		}
		a := d.backlog[0]
		d.backlog[0] = arrival{}
		d.backlog = d.backlog[1:]
		op := a.op
		if op == nil {
			op = d.generate(c)
			d.Started++
		}
		op.Intended = int64(a.intended)
		c.invoke(op)
	}
}

// generate makes a main-phase operation for client c.
func (d *Driver) generate(c *Client) *history.Op {
	if g, ok := d.w.(ClientGenerator); ok {
		return g.GenerateFor(d.rng, c.index, c.process)
	}
	return d.w.Generate(d.rng)
}

func (d *Driver) freeClient() *Client {
	now := d.sched.Now()
	for i := range d.clients {
		c := d.clients[(d.next+i)%len(d.clients)]
		if c.busy == nil && !c.stepping && c.env != nil && c.readyAt <= now {
			d.next = (d.next + i + 1) % len(d.clients)
			return c
		}
	}
	return nil
}

// Abandon records every operation still outstanding as info, completing at
// now: used when a run ends (or is interrupted) with requests in flight.
func (d *Driver) Abandon() {
	d.abandoned = true
	for _, c := range d.clients {
		if op := c.busy; op != nil {
			c.finish(op, history.Info, &history.Error{Code: maelstrom.Timeout, Text: history.RunEnded})
		}
	}
}

// Client is one client endpoint. It is a nodes.Node so that both runtimes
// host it like any other party on the network.
type Client struct {
	driver  *Driver
	id      string
	index   int // position among the driver's clients
	node    string
	process int
	env     nodes.Env
	busy    *history.Op
	readyAt time.Duration // when the client may invoke again (see Turnaround)
	seq     int           // invocation generation, so a stale callback is ignored
	// stepping: between two operations of a sequence; invokedAt: the
	// client's own clock when it invoked busy.
	stepping  bool
	invokedAt time.Duration
}

// ID is the client's node id on the wire ("c3").
func (c *Client) ID() string { return c.id }

// Init implements nodes.Node.
func (c *Client) Init(env nodes.Env) { c.env = env }

// Handle implements nodes.Node: clients expect only replies, which go to
// their callbacks; anything else is ignored.
func (c *Client) Handle(maelstrom.Msg) {}

func (c *Client) invoke(op *history.Op) {
	d := c.driver
	c.busy = op
	c.seq++
	seq := c.seq
	d.outstanding++
	// A workload may aim an operation at a node (final reads on every
	// node); otherwise it goes to the client's own node.
	node := c.node
	if op.Node != "" {
		node = op.Node
	}
	op.Process, op.Client, op.Node = c.process, c.id, node
	op.Invoke = int64(d.sched.Now())
	c.invokedAt = c.env.Now()
	typ, body := d.w.Request(op)
	c.env.RPC(node, typ, body, d.cfg.OpTimeout, func(resp maelstrom.Msg, err error) {
		if c.busy != op || c.seq != seq {
			return
		}
		if err == nil {
			if cerr := d.w.Complete(op, resp); cerr != nil {
				c.finish(op, history.Info, &history.Error{Code: maelstrom.MalformedRequest, Text: cerr.Error()})
				return
			}
			c.finish(op, history.OK, nil)
			return
		}
		code := maelstrom.ErrorCode(err)
		if r, ok := d.w.(FailureRecorder); ok && resp.Type == "error" {
			r.RecordFailure(op, resp)
		}
		herr := &history.Error{Code: code, Text: err.Error()}
		if rpcErr, ok := err.(*maelstrom.RPCError); ok {
			herr.Text = rpcErr.Text
		}
		switch {
		case d.w.ErrorIsResult(op, code):
			c.finish(op, history.OK, herr)
		case maelstrom.IsDefinite(code):
			c.finish(op, history.Fail, herr)
		default:
			c.finish(op, history.Info, herr)
		}
	})
}

func (c *Client) finish(op *history.Op, outcome history.Outcome, err *history.Error) {
	d := c.driver
	op.Outcome, op.Error = outcome, err
	op.Complete = int64(d.sched.Now())
	op.Index = len(d.hist)
	d.hist = append(d.hist, op)
	c.busy = nil
	c.readyAt = d.sched.Now() + Turnaround
	d.outstanding--
	if outcome == history.Info {
		// The operation may still take effect at any time, so this logical
		// process never completes; the client carries on as a new one.
		c.process = d.nextProcess
		d.nextProcess++
	}
	if d.OnComplete != nil {
		d.OnComplete(op)
	}
	if f, ok := d.w.(FinalFollower); ok && op.Final {
		for _, next := range f.FollowFinal(op) {
			next.Final = true
			d.backlog = append(d.backlog, arrival{intended: d.sched.Now(), op: next})
		}
	}
	if s, ok := d.w.(Sequencer); ok && !op.Final && !d.abandoned {
		c.step(s.Next(op, ClientClock{Invoked: c.invokedAt, Now: c.env.Now()}))
	}
	d.sched.After(Turnaround, d.dispatch)
	d.checkFinalDone()
}

// step carries on with a sequence: unless it is over, the client works for
// step.After on its own timer (at least Turnaround, as between any two of
// a client's operations), reporting step.Role meanwhile, then invokes the
// next operation.
func (c *Client) step(step Step) {
	d := c.driver
	if step.Op == nil {
		return
	}
	c.env.SetRole(step.Role)
	c.stepping = true
	d.stepping++
	c.env.SetTimer(max(step.After, Turnaround), func() {
		c.env.SetRole("")
		c.stepping = false
		d.stepping--
		if d.abandoned {
			return
		}
		if step.Op.Intended == 0 {
			step.Op.Intended = int64(d.sched.Now())
		}
		c.invoke(step.Op)
	})
}
