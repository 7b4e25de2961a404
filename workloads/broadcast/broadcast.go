// Package broadcast is Maelstrom's broadcast workload: before the load each
// node is told the network topology; clients then broadcast integer messages
// (0, 1, 2, ...) to any node and read the set of messages a node has seen.
// After the cluster heals and recovers, every node is read once more; every
// acknowledged message must be in every node's final read.
//
//	{"type":"topology","topology":{"n0":["n1"],"n1":["n0"]}} -> {"type":"topology_ok"}
//	{"type":"broadcast","message":7}                        -> {"type":"broadcast_ok"}
//	{"type":"read"}                                         -> {"type":"read_ok","messages":[0,7]}
package broadcast

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/set"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

// Config shapes the load.
type Config struct {
	// Topology is the layout sent to the nodes: grid (Maelstrom's default),
	// line, total, tree (= tree2), tree2, tree3 or tree4.
	Topology string
	// Mix weights of broadcast and read operations; Maelstrom mixes them
	// evenly.
	Broadcasts, Reads int
}

// DefaultConfig is Maelstrom's: a grid, half broadcasts and half reads.
func DefaultConfig() Config { return Config{Topology: "grid", Broadcasts: 1, Reads: 1} }

// Validate reports a config that cannot generate load.
func (c Config) Validate() error {
	if _, err := Topology(c.Topology, nil); err != nil {
		return err
	}
	switch {
	case c.Broadcasts < 0 || c.Reads < 0:
		return fmt.Errorf("broadcast: mix weights must not be negative (broadcast %d, read %d)", c.Broadcasts, c.Reads)
	case c.Broadcasts+c.Reads == 0:
		return fmt.Errorf("broadcast: the broadcast/read mix is all zero")
	}
	return nil
}

// Workload generates broadcast operations. It implements workloads.Preparer
// to send the topology, and learns the node names from it for the final
// reads.
type Workload struct {
	cfg   Config
	next  int // the next message to broadcast
	nodes []string
}

// New returns the workload; cfg must be valid.
func New(cfg Config) *Workload { return &Workload{cfg: cfg} }

// Checkers are the checkers that judge this workload's history: Maelstrom's
// set-full with broadcast as the add.
func Checkers(Config) []checkers.Checker {
	return []checkers.Checker{set.New(set.Options{Name: "broadcast", AddF: "broadcast", ReadF: "read"})}
}

// Name implements workloads.Workload.
func (w *Workload) Name() string { return "broadcast" }

type topologyBody struct {
	Topology map[string][]string `json:"topology"`
}

// Prepare implements workloads.Preparer: one topology message per node, each
// carrying the whole topology, as Maelstrom sends it.
func (w *Workload) Prepare(nodes []string) []workloads.Request {
	w.nodes = append([]string(nil), nodes...)
	topo, err := Topology(w.cfg.Topology, nodes)
	if err != nil {
		topo, _ = Topology("grid", nodes)
	}
	reqs := make([]workloads.Request, len(nodes))
	for i, n := range nodes {
		reqs[i] = workloads.Request{Dest: n, Type: "topology", Body: topologyBody{Topology: topo}}
	}
	return reqs
}

// Generate implements workloads.Workload.
func (w *Workload) Generate(rng *rand.Rand) *history.Op {
	if rng.IntN(w.cfg.Broadcasts+w.cfg.Reads) < w.cfg.Broadcasts {
		op := &history.Op{F: "broadcast", Value: w.next}
		w.next++
		return op
	}
	return &history.Op{F: "read"}
}

// Final is one read on every node (op.Node names it), after recovery. The
// nodes are those Prepare was given.
func (w *Workload) Final() []*history.Op { return workloads.ReadsOnEveryNode(w.nodes) }

type broadcastBody struct {
	Message any `json:"message"`
}

// Request implements workloads.Workload.
func (w *Workload) Request(op *history.Op) (string, any) {
	if op.F == "broadcast" {
		return "broadcast", broadcastBody{Message: op.Value}
	}
	return "read", struct{}{}
}

// Complete implements workloads.Workload: a read's messages become its
// result, as a list of JSON values (null, a Go nil slice, is an empty list,
// as in Maelstrom's schema).
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	if err := workloads.ExpectReply(op, resp); err != nil || op.F != "read" {
		return err
	}
	msgs, err := workloads.ListField(resp, "messages")
	if err != nil {
		return err
	}
	op.Result = msgs
	return nil
}

// ErrorIsResult implements workloads.Workload: no error answers a broadcast
// or a read.
func (w *Workload) ErrorIsResult(*history.Op, int) bool { return false }
