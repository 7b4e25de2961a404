// Package txns is Maelstrom's two transactional workloads, txn-list-append
// and txn-rw-register: clients send transactions of micro-operations
// [f, k, v] and nodes answer with the same transaction, reads filled in.
//
//	{"type":"txn","txn":[["r",1,null],["append",2,3]]}    -> {"type":"txn_ok","txn":[["r",1,[1,2]],["append",2,3]]}
//	{"type":"txn","txn":[["r",1,null],["w",2,3]]}         -> {"type":"txn_ok","txn":[["r",1,4],["w",2,3]]}
//
// A read of a key nobody wrote is null. In txn-list-append a read is the
// key's list, and an append adds its element to the end (creating the list);
// in txn-rw-register a read is the key's value and a write replaces it.
// Errors follow Maelstrom's table: txn-conflict (30), temporarily-unavailable
// (11) and abort (14) are definite, so the transaction failed; crash (13),
// timeout (0) and unknown codes are indefinite, so it may have happened.
//
// The generator is Elle's (elle.txn/wr-txns, as Maelstrom runs it):
// transactions of MinTxnLength to MaxTxnLength micro-operations, reads and
// writes in equal measure, on a pool of active keys from keypool, each
// written with 1, 2, 3, ... so that a read names the transaction that wrote
// what it saw. The history records each transaction as an operation with F
// "txn", Value the transaction sent and Result the one answered (see
// history/txn).
//
// After recovery, like the other workloads here (Maelstrom's txn workloads
// have no final phase), every node reads every key the run used, in
// read-only transactions of FinalReadKeys keys: in txn-list-append the
// final reads give the checker each key's whole version order.
package txns

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
	"github.com/ddbbench/ddbbench/workloads/keypool"
)

// The two workloads, by their Maelstrom names.
const (
	ListAppend = "txn-list-append"
	RWRegister = "txn-rw-register"
)

// F is the function of a transactional operation in the history.
const F = "txn"

// Config shapes the load, with Maelstrom's flags and defaults.
type Config struct {
	// Kind is ListAppend or RWRegister; the harness sets it from the
	// workload's name.
	Kind string `json:"-"`
	// Keys is the number of keys in use at once (--key-count; 10).
	Keys int `json:"key_count"`
	// MinTxnLength and MaxTxnLength bound the micro-operations per
	// transaction (Elle's 1; --max-txn-length, 4).
	MinTxnLength int `json:"min_txn_length"`
	MaxTxnLength int `json:"max_txn_length"`
	// MaxWritesPerKey bounds the writes (or appends) to one key before a
	// fresh key replaces it (--max-writes-per-key; 16).
	MaxWritesPerKey int `json:"max_writes_per_key"`
	// Models are the consistency models to check, by Elle's names
	// (--consistency-models; strict-serializable).
	Models []string `json:"consistency_models"`
	// FinalReads reads every key on every node after recovery, in
	// transactions of FinalReadKeys reads.
	FinalReads    bool `json:"final_reads"`
	FinalReadKeys int  `json:"final_read_keys"`
}

// DefaultConfig is Maelstrom's.
func DefaultConfig() Config {
	return Config{Keys: 10, MinTxnLength: 1, MaxTxnLength: 4, MaxWritesPerKey: 16,
		Models: []string{"strict-serializable"}, FinalReads: true, FinalReadKeys: 100}
}

// maxKeys bounds Keys: the exponential key choice draws from [0, 2^Keys),
// which a float64 cannot hold much past a thousand.
const maxKeys = 1000

// Validate reports a config that cannot generate load, naming the flag.
func (c Config) Validate() error {
	switch {
	case c.Kind != ListAppend && c.Kind != RWRegister:
		return fmt.Errorf("txn workload: kind must be %s or %s, got %q", ListAppend, RWRegister, c.Kind)
	case c.Keys < 1 || c.Keys > maxKeys:
		return fmt.Errorf("%s: --key-count must be between 1 and %d, got %d", c.Kind, maxKeys, c.Keys)
	case c.MinTxnLength < 1:
		return fmt.Errorf("%s: the minimum transaction length must be at least 1, got %d", c.Kind, c.MinTxnLength)
	case c.MaxTxnLength < c.MinTxnLength:
		return fmt.Errorf("%s: --max-txn-length must be at least %d, got %d", c.Kind, c.MinTxnLength, c.MaxTxnLength)
	case c.MaxWritesPerKey < 1:
		return fmt.Errorf("%s: --max-writes-per-key must be positive, got %d", c.Kind, c.MaxWritesPerKey)
	case c.FinalReads && c.FinalReadKeys < 1:
		return fmt.Errorf("%s: final reads need at least one key per transaction, got %d", c.Kind, c.FinalReadKeys)
	case len(c.Models) == 0:
		return fmt.Errorf("%s: --consistency-models names no model", c.Kind)
	}
	return checkModels(c.Kind, c.Models)
}

// ParseModels splits Maelstrom's comma-separated --consistency-models.
func ParseModels(s string) []string {
	var out []string
	for _, m := range strings.Split(s, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// Workload generates transactions and speaks the txn protocol.
type Workload struct {
	cfg   Config
	write string // the write micro-op: "append" or "w"
	pool  *keypool.Pool
	nodes []string
}

// New returns the workload; cfg must be valid.
func New(cfg Config) *Workload {
	w := &Workload{cfg: cfg, write: txn.Write, pool: keypool.New(cfg.Keys, cfg.MaxWritesPerKey)}
	if cfg.Kind == ListAppend {
		w.write = txn.Append
	}
	return w
}

// Name implements workloads.Workload.
func (w *Workload) Name() string { return w.cfg.Kind }

// Prepare implements workloads.Preparer: it only records the nodes, for
// the final reads.
func (w *Workload) Prepare(nodes []string) []workloads.Request {
	w.nodes = append([]string(nil), nodes...)
	return nil
}

// Generate implements workloads.Workload with Elle's wr-txns: a length,
// then for each micro-op a function, then a key; a write to a key that has
// taken its share retires the key and draws the micro-op again.
func (w *Workload) Generate(rng *rand.Rand) *history.Op {
	n := w.cfg.MinTxnLength + rng.IntN(w.cfg.MaxTxnLength-w.cfg.MinTxnLength+1)
	t := make(txn.Txn, 0, n)
	for len(t) < n {
		write := rng.IntN(2) == 1
		i := w.pool.Slot(rng)
		k := w.pool.Key(i)
		if !write {
			t = append(t, txn.Mop{F: txn.Read, Key: k})
			continue
		}
		if v, ok := w.pool.Claim(i, rng); ok {
			t = append(t, txn.Mop{F: w.write, Key: k, Value: v})
		}
	}
	return &history.Op{F: F, Value: t}
}

// Final reads every key the run used on every node, FinalReadKeys keys
// per transaction.
func (w *Workload) Final() []*history.Op {
	if !w.cfg.FinalReads {
		return nil
	}
	var ops []*history.Op
	keys := w.pool.Used()
	for _, node := range w.nodes {
		for lo := 0; lo < keys; lo += w.cfg.FinalReadKeys {
			t := txn.Txn{}
			for k := lo; k < min(keys, lo+w.cfg.FinalReadKeys); k++ {
				t = append(t, txn.Mop{F: txn.Read, Key: k})
			}
			ops = append(ops, &history.Op{F: F, Value: t, Node: node, Final: true})
		}
	}
	return ops
}

// Request implements workloads.Workload.
func (w *Workload) Request(op *history.Op) (string, any) {
	return "txn", txn.Body{Txn: op.Value.(txn.Txn)}
}

// Complete implements workloads.Workload: the reply must be the request
// with its reads filled in, as Maelstrom's schema and Elle require. Any
// other reply makes the operation indefinite, with the error saying what
// did not fit.
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	if err := workloads.ExpectReply(op, resp); err != nil {
		return err
	}
	got, err := replyTxn(resp)
	if err != nil {
		return err
	}
	sent := op.Value.(txn.Txn)
	if len(got) != len(sent) {
		return fmt.Errorf("txn_ok has %d micro-ops, but the request had %d: the reply must be the request with its reads filled in", len(got), len(sent))
	}
	result := make(txn.Txn, len(sent))
	for i, s := range sent {
		g := got[i]
		if g.F != s.F || g.Key != s.Key {
			return fmt.Errorf("txn_ok micro-op %d is [%q, %d, ...], but the request had [%q, %d, ...] there: micro-ops must come back in order", i, g.F, g.Key, s.F, s.Key)
		}
		if s.F != txn.Read {
			if v, ok := g.Value.(int); !ok || v != s.Value.(int) {
				return fmt.Errorf("txn_ok micro-op %d: %s of %v to key %d came back as %s: writes must come back unchanged", i, s.F, s.Value, s.Key, show(g.Value))
			}
			result[i] = s
			continue
		}
		v, err := w.readValue(g.Value)
		if err != nil {
			return fmt.Errorf("txn_ok micro-op %d, a read of key %d: %w", i, s.Key, err)
		}
		result[i] = txn.Mop{F: txn.Read, Key: s.Key, Value: v}
	}
	op.Result = result
	return nil
}

// readValue checks a read's value against the workload's schema: an
// integer or null in txn-rw-register, a list of integers in
// txn-list-append. Maelstrom's schema also lets a list read be null, which
// Elle takes for the empty list: so does the history.
func (w *Workload) readValue(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		if w.cfg.Kind == ListAppend {
			return []int{}, nil
		}
		return nil, nil
	case int:
		if w.cfg.Kind == RWRegister {
			return v, nil
		}
	case []int:
		if w.cfg.Kind == ListAppend {
			return append([]int{}, v...), nil
		}
	}
	want := "an integer or null"
	if w.cfg.Kind == ListAppend {
		want = "a list of integers (or null for none)"
	}
	return nil, fmt.Errorf("got %s, want %s", show(v), want)
}

// replyTxn returns a txn_ok's transaction, or says why there is none.
func replyTxn(resp maelstrom.Msg) (txn.Txn, error) {
	if b, ok := resp.Body.(txn.Body); ok {
		if b.Txn == nil {
			return nil, fmt.Errorf("txn_ok's \"txn\" is null: the reply must be the request with its reads filled in")
		}
		return b.Txn, nil
	}
	body, err := maelstrom.Decode[map[string]json.RawMessage](resp)
	if err != nil {
		return nil, err
	}
	// Maelstrom's schema for txn_ok is a closed map: these fields only.
	for f := range body {
		switch f {
		case "type", "msg_id", "in_reply_to", "txn":
		default:
			return nil, fmt.Errorf("txn_ok has a field %q, which Maelstrom's schema does not allow (only type, msg_id, in_reply_to and txn)", f)
		}
	}
	raw, ok := body["txn"]
	if !ok {
		return nil, fmt.Errorf("txn_ok has no \"txn\" field")
	}
	if string(raw) == "null" {
		return nil, fmt.Errorf("txn_ok's \"txn\" is null: the reply must be the request with its reads filled in")
	}
	var t txn.Txn
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("txn_ok's \"txn\" is not a list of [f, k, v]: %v", err)
	}
	return t, nil
}

func show(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// ErrorIsResult implements workloads.Workload: no error of the txn
// protocol is a result; definite ones fail the transaction, the others
// leave it indefinite.
func (w *Workload) ErrorIsResult(*history.Op, int) bool { return false }
