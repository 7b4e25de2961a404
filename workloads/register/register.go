// Package register is the key-value register workload, with Maelstrom's
// lin-kv schema: read, write and cas on integer keys holding integers.
package register

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

// Config shapes the load.
//
// Like Jepsen's linearizable-register test (which Maelstrom's lin-kv runs),
// the clients are split into groups of ClientsPerKey, each group works on a
// key of its own (Jepsen's independent-key generator), and a key is retired
// after PerKeyLimit operations for a fresh one. Concentrating a group on one
// key is what exposes anomalies that need two operations on one key at once;
// bounding the clients on a key bounds how many of its operations overlap,
// which the linearizability check is exponential in, so more clients mean
// more keys in flight rather than a harder check; bounding each key's
// history keeps the check cheap however long the run. ProcessLimit bounds
// the crashed operations on a key, as Jepsen's gen/process-limit does: a
// client whose operation ends info (a timeout) carries on as a new logical
// process, and the info operation stays concurrent with everything after it
// on its key, so the search is exponential in their number; a key is
// retired once ProcessLimit processes have worked on it.
type Config struct {
	// ClientsPerKey is how many clients share a key at a time (Jepsen's
	// linearizable-register test uses 10); 0 puts every client on the same
	// keys.
	ClientsPerKey int
	// Keys is how many keys each group of clients works on at once.
	Keys int
	// PerKeyLimit retires a key after this many operations (0: never).
	PerKeyLimit int
	// ProcessLimit retires a key once this many logical processes have
	// worked on it (0: never).
	ProcessLimit int
	// Mix weights of read, write and cas operations.
	Reads, Writes, CASes int
	// Zipf chooses among a group's keys with a Zipf distribution (a few hot
	// keys) instead of uniformly.
	Zipf bool
	// FinalReads reads every key once after the cluster has healed and
	// recovered. Maelstrom's lin-kv has no such phase.
	FinalReads bool
}

// DefaultClientsPerKey is Jepsen's linearizable-register test's.
const DefaultClientsPerKey = 10

// DefaultConfig is ten clients to a key, one key at a time per group,
// thirty operations or twenty processes each (at most ten crashed
// operations on a key of ten clients), an even mix, final reads.
func DefaultConfig() Config {
	return Config{ClientsPerKey: DefaultClientsPerKey, Keys: 1, PerKeyLimit: 30, ProcessLimit: 2 * DefaultClientsPerKey, Reads: 1, Writes: 1, CASes: 1, FinalReads: true}
}

// Validate reports a config that cannot generate load.
func (c Config) Validate() error {
	switch {
	case c.ClientsPerKey < 0:
		return fmt.Errorf("register: clients per key must not be negative, got %d", c.ClientsPerKey)
	case c.Keys < 1:
		return fmt.Errorf("register: key count must be at least 1, got %d", c.Keys)
	case c.PerKeyLimit < 0:
		return fmt.Errorf("register: the per-key limit must not be negative, got %d", c.PerKeyLimit)
	case c.ProcessLimit < 0:
		return fmt.Errorf("register: the process limit must not be negative, got %d", c.ProcessLimit)
	case c.Reads < 0 || c.Writes < 0 || c.CASes < 0:
		return fmt.Errorf("register: mix weights must not be negative (read %d, write %d, cas %d)", c.Reads, c.Writes, c.CASes)
	case c.Reads+c.Writes+c.CASes == 0:
		return fmt.Errorf("register: the read/write/cas mix is all zero")
	}
	return nil
}

// Workload generates register operations. Written values are unique per key
// (each write or cas writes the key's next number), which keeps the
// linearizability check cheap and makes a stale or invented read unambiguous.
type Workload struct {
	cfg     Config
	zipf    *rand.Zipf
	groups  []*group    // by client index / ClientsPerKey, made on first use
	nextKey int         // the next fresh key
	written map[int]int // per key: the last value handed to a write or cas
}

// group is one group of clients and the keys it works on.
type group struct {
	active []int   // the keys in use, one per slot
	ops    []int   // operations generated on each slot's key
	procs  [][]int // the processes that worked on each slot's key
}

// New returns the workload; cfg must be valid.
func New(cfg Config) *Workload {
	return &Workload{cfg: cfg, written: map[int]int{}}
}

// Name implements workloads.Workload.
func (w *Workload) Name() string { return "register" }

// group returns client's group, giving groups met for the first time fresh
// keys.
func (w *Workload) group(client int) *group {
	g := 0
	if w.cfg.ClientsPerKey > 0 {
		g = client / w.cfg.ClientsPerKey
	}
	for len(w.groups) <= g {
		fresh := &group{active: make([]int, w.cfg.Keys), ops: make([]int, w.cfg.Keys), procs: make([][]int, w.cfg.Keys)}
		for i := range fresh.active {
			fresh.active[i] = w.nextKey
			w.nextKey++
		}
		w.groups = append(w.groups, fresh)
	}
	return w.groups[g]
}

// key picks a slot of client's group and returns its key for process,
// retiring the key for a fresh one once it has had its share of operations
// or of processes.
func (w *Workload) key(rng *rand.Rand, client, process int) int {
	g := w.group(client)
	slot := 0
	switch {
	case w.cfg.Keys == 1:
	case !w.cfg.Zipf:
		slot = rng.IntN(w.cfg.Keys)
	default:
		if w.zipf == nil {
			w.zipf = rand.NewZipf(rng, 1.1, 1, uint64(w.cfg.Keys-1))
		}
		slot = int(w.zipf.Uint64())
	}
	newProcess := !slices.Contains(g.procs[slot], process)
	if w.cfg.PerKeyLimit > 0 && g.ops[slot] >= w.cfg.PerKeyLimit ||
		w.cfg.ProcessLimit > 0 && newProcess && len(g.procs[slot]) >= w.cfg.ProcessLimit {
		g.active[slot], g.ops[slot], g.procs[slot] = w.nextKey, 0, g.procs[slot][:0]
		w.nextKey++
		newProcess = true
	}
	g.ops[slot]++
	if newProcess {
		g.procs[slot] = append(g.procs[slot], process)
	}
	return g.active[slot]
}

// Generate implements workloads.Workload: an operation for client 0's
// group, as process 0. The driver calls GenerateFor.
func (w *Workload) Generate(rng *rand.Rand) *history.Op { return w.GenerateFor(rng, 0, 0) }

// GenerateFor implements workloads.ClientGenerator: an operation on a key of
// client's group, to be run by process.
func (w *Workload) GenerateFor(rng *rand.Rand, client, process int) *history.Op {
	k := w.key(rng, client, process)
	op := &history.Op{Key: strconv.Itoa(k)}
	switch r := rng.IntN(w.cfg.Reads + w.cfg.Writes + w.cfg.CASes); {
	case r < w.cfg.Reads:
		op.F = "read"
	case r < w.cfg.Reads+w.cfg.Writes:
		op.F = "write"
		w.written[k]++
		op.Value = w.written[k]
	default:
		op.F = "cas"
		// Half the time expect the latest value, so that cas succeeds often
		// enough to matter; otherwise any value this key may have held.
		from := w.written[k]
		if rng.IntN(2) == 0 {
			from = rng.IntN(w.written[k] + 1)
		}
		w.written[k]++
		op.Value = [2]int{from, w.written[k]}
	}
	return op
}

// Final reads every key the run used once, after recovery, retired ones
// too: an acknowledged write that a failover lost is often on a key the
// clients have already left, and only a read after the fact shows it gone.
func (w *Workload) Final() []*history.Op {
	if !w.cfg.FinalReads {
		return nil
	}
	ops := make([]*history.Op, w.nextKey)
	for k := range w.nextKey {
		ops[k] = &history.Op{F: "read", Key: strconv.Itoa(k)}
	}
	return ops
}

// Request implements workloads.Workload.
func (w *Workload) Request(op *history.Op) (string, any) {
	k, _ := strconv.Atoi(op.Key)
	switch op.F {
	case "write":
		return "write", maelstrom.WriteBody{Key: k, Value: op.Value.(int)}
	case "cas":
		v := op.Value.([2]int)
		return "cas", maelstrom.CASBody{Key: k, From: v[0], To: v[1]}
	default:
		return "read", maelstrom.ReadBody{Key: k}
	}
}

// Complete implements workloads.Workload.
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	if err := workloads.ExpectReply(op, resp); err != nil {
		return err
	}
	if op.F != "read" {
		return nil
	}
	if body, ok := resp.Body.(maelstrom.ReadOKBody); ok {
		op.Result = body.Value // a reference node's reply, passed by value
		return nil
	}
	// A read_ok without a value, or with a null one, tells nothing about
	// the register: it does not fit the schema, and the op stays
	// indefinite rather than read as 0.
	raw, err := workloads.ReplyField(resp, "value")
	if err != nil {
		return err
	}
	var v *int
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("read_ok \"value\" must be an integer, got %.40s", raw)
	}
	if v == nil {
		return fmt.Errorf("read_ok \"value\" is null: a read must return the key's value (or error 20 when the key does not exist)")
	}
	op.Result = *v
	return nil
}

// ErrorIsResult implements workloads.Workload: a missing key answers a read
// or cas, and a failed precondition answers a cas.
func (w *Workload) ErrorIsResult(op *history.Op, code int) bool {
	switch code {
	case maelstrom.KeyDoesNotExist:
		return op.F == "read" || op.F == "cas"
	case maelstrom.PreconditionFailed:
		return op.F == "cas"
	}
	return false
}
