// Package kafka is Maelstrom's kafka workload: append-only logs named by
// string keys. Clients send messages to keys, poll keys from the offsets
// they have reached, commit the offsets they have polled, and now and then
// re-assign themselves a set of keys, starting from the committed offsets.
//
//	{"type":"send","key":"3","msg":7}                 -> {"type":"send_ok","offset":12}
//	{"type":"poll","offsets":{"3":10}}                -> {"type":"poll_ok","msgs":{"3":[[10,5],[12,7]]}}
//	{"type":"commit_offsets","offsets":{"3":12}}      -> {"type":"commit_offsets_ok"}
//	{"type":"list_committed_offsets","keys":["3"]}    -> {"type":"list_committed_offsets_ok","offsets":{"3":12}}
//
// The generator is Maelstrom's (Elle's list-append generator with one
// operation per transaction): a pool of active keys chosen with an
// exponential distribution, each taking a Zipf-distributed number of
// messages (at most MaxWritesPerKey) before a fresh key replaces it;
// messages per key are 1, 2, 3, ...; sends and polls in equal measure,
// with occasional assigns of the op's key, plus, a third of the time, the
// keys that have sent messages no poll has seen yet.
//
// Where Maelstrom's client commits after every poll inside the same
// operation, here a commit is an operation of its own (one request per
// operation): it commits the highest offsets the client has polled. A
// client's poll positions belong to its process: after an indefinite
// outcome the driver gives the client a new process, which starts afresh,
// as Maelstrom's clients do after a crash.
//
// The final phase polls every key from offset 0 and from the offset of
// every acknowledged message no poll has returned yet; when the driver
// supports FollowFinal, it keeps polling a key while acknowledged messages
// remain that no poll has returned.
package kafka

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/jsonval"
	kafkacheck "github.com/ddbbench/ddbbench/checkers/kafka"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads/keypool"
)

// Config shapes the load.
type Config struct {
	// Keys is the number of keys in use at any time (Elle's key-count; 10).
	Keys int
	// MaxWritesPerKey bounds the messages sent to one key before a fresh
	// key replaces it (Maelstrom's --max-writes-per-key; 16).
	MaxWritesPerKey int
	// Mix weights of send, poll and commit operations.
	Sends, Polls, Commits int
	// AssignP is the probability that an operation is an assign instead.
	// Maelstrom uses 1/64, but its clients are also crashed and restarted
	// every few seconds; 1/16 keeps ours from polling nothing for long.
	AssignP float64
	// FinalPollRetries is how many final polls of a key may come back
	// without progress before the final phase gives up on it.
	FinalPollRetries int
	// StrictCommits makes the checker count a committed offset listed
	// below one already acknowledged as an error (Maelstrom allows it).
	StrictCommits bool
}

// DefaultConfig is Maelstrom's shape of load.
func DefaultConfig() Config {
	return Config{Keys: 10, MaxWritesPerKey: 16, Sends: 2, Polls: 2, Commits: 1, AssignP: 1.0 / 16, FinalPollRetries: 3}
}

// Validate reports a config that cannot generate load.
func (c Config) Validate() error {
	switch {
	case c.Keys < 1 || c.Keys > 60:
		return fmt.Errorf("kafka: key count must be between 1 and 60, got %d", c.Keys)
	case c.MaxWritesPerKey < 1:
		return fmt.Errorf("kafka: max writes per key must be at least 1, got %d", c.MaxWritesPerKey)
	case c.Sends < 0 || c.Polls < 0 || c.Commits < 0:
		return fmt.Errorf("kafka: mix weights must not be negative (send %d, poll %d, commit %d)", c.Sends, c.Polls, c.Commits)
	case c.Sends+c.Polls+c.Commits == 0:
		return fmt.Errorf("kafka: the send/poll/commit mix is all zero")
	case c.AssignP < 0 || c.AssignP >= 1 || math.IsNaN(c.AssignP):
		return fmt.Errorf("kafka: assign probability must be in [0, 1), got %v", c.AssignP)
	case c.FinalPollRetries < 0:
		return fmt.Errorf("kafka: final poll retries must not be negative, got %d", c.FinalPollRetries)
	}
	return nil
}

// client is one process's consumer state.
type client struct {
	offsets map[string]int64 // next offset to poll, per assigned key
	polled  map[string]int64 // highest offset polled, per key: what a commit sends
}

// Workload generates kafka operations.
type Workload struct {
	cfg Config

	// Generator state, Elle's wr-txns.
	pool     *keypool.Pool
	sentKeys map[string]bool

	// What completions have shown, across all clients.
	sent   map[string]int64 // highest acknowledged send offset per key
	polled map[string]int64 // highest polled offset per key
	// unpolled holds, per key, the offsets of acknowledged sends no poll
	// has returned yet.
	unpolled map[string]map[int64]bool

	procs      map[int]*client
	clientProc map[string]int

	finalRetries map[string]int
}

// New returns the workload; cfg must be valid.
func New(cfg Config) *Workload {
	w := &Workload{
		cfg:          cfg,
		pool:         keypool.New(cfg.Keys, cfg.MaxWritesPerKey),
		sentKeys:     map[string]bool{},
		sent:         map[string]int64{},
		polled:       map[string]int64{},
		unpolled:     map[string]map[int64]bool{},
		procs:        map[int]*client{},
		clientProc:   map[string]int{},
		finalRetries: map[string]int{},
	}
	return w
}

// Checkers are the checkers that judge this workload's history: Jepsen's
// kafka analysis.
func Checkers(cfg Config) []checkers.Checker {
	return []checkers.Checker{kafkacheck.New(kafkacheck.Options{StrictCommits: cfg.StrictCommits})}
}

// Name implements workloads.Workload.
func (w *Workload) Name() string { return "kafka" }

// Generate implements workloads.Workload.
func (w *Workload) Generate(rng *rand.Rand) *history.Op {
	w.pool.Init(rng)
	if rng.Float64() < w.cfg.AssignP {
		return w.assign(rng)
	}
	switch r := rng.IntN(w.cfg.Sends + w.cfg.Polls + w.cfg.Commits); {
	case r < w.cfg.Sends:
		for {
			i := w.pool.Slot(rng)
			k := w.pool.Key(i)
			v, ok := w.pool.Claim(i, rng)
			if !ok {
				continue // the key had taken its share; a fresh one replaced it
			}
			key := strconv.Itoa(k)
			w.sentKeys[key] = true
			return &history.Op{F: kafkacheck.FSend, Key: key, Value: v}
		}
	case r < w.cfg.Sends+w.cfg.Polls:
		return &history.Op{F: kafkacheck.FPoll}
	default:
		return &history.Op{F: kafkacheck.FCommit}
	}
}

// assign picks the keys for an assign: a key from the active pool and, a
// third of the time, every key with acknowledged messages beyond what any
// poll has returned (Jepsen's poll-unseen).
func (w *Workload) assign(rng *rand.Rand) *history.Op {
	keys := map[string]bool{strconv.Itoa(w.pool.Key(w.pool.Slot(rng))): true}
	if rng.IntN(3) == 0 {
		for k, s := range w.sent {
			if p, ok := w.polled[k]; !ok || p < s {
				keys[k] = true
			}
		}
	}
	return &history.Op{F: kafkacheck.FAssign, Value: sortedKeys(keys)}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return keyLess(out[i], out[j]) })
	return out
}

// keyLess orders keys numerically when they are numbers.
func keyLess(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return x < y
	}
	if (errA == nil) != (errB == nil) {
		return errA == nil
	}
	return a < b
}

// Final polls every key that was sent to from offset 0, and also from the
// offset of every acknowledged message no poll has returned yet, so that a
// server which returns only a few messages per poll is still read in full
// when the driver does not support FollowFinal. One key per poll.
func (w *Workload) Final() []*history.Op {
	var ops []*history.Op
	for _, k := range sortedKeys(w.sentKeys) {
		from := []int64{0}
		for o := range w.unpolled[k] {
			if o > 0 {
				from = append(from, o)
			}
		}
		sort.Slice(from, func(i, j int) bool { return from[i] < from[j] })
		for _, o := range from {
			ops = append(ops, &history.Op{F: kafkacheck.FPoll, Final: true, Value: map[string]int64{k: o}})
		}
	}
	return ops
}

// FollowFinal returns the polls that should follow a completed final poll,
// while acknowledged messages at or past its offset remain that no poll has
// returned: the next poll from just past what it returned, or, when it made
// no progress, the same poll again (at most FinalPollRetries times per key).
// It needs the driver to call it as each final operation completes.
func (w *Workload) FollowFinal(op *history.Op) []*history.Op {
	if op.F != kafkacheck.FPoll {
		return nil
	}
	asked, ok := kafkacheck.Offsets(op.Value)
	if !ok {
		return nil
	}
	var got map[string][]kafkacheck.Pair
	if op.Outcome == history.OK {
		got, _ = kafkacheck.Msgs(op.Result)
	}
	var next []*history.Op
	for _, k := range sortedKeys(asked) {
		from := asked[k]
		top := int64(-1)
		for _, p := range got[k] {
			top = max(top, p.Offset)
		}
		if top >= from {
			w.finalRetries[k] = 0
			if w.unpolledFrom(k, top+1) {
				next = append(next, &history.Op{F: kafkacheck.FPoll, Final: true, Value: map[string]int64{k: top + 1}})
			}
			continue
		}
		if !w.unpolledFrom(k, from) {
			continue // caught up
		}
		if w.finalRetries[k]++; w.finalRetries[k] <= w.cfg.FinalPollRetries {
			next = append(next, &history.Op{F: kafkacheck.FPoll, Final: true, Value: map[string]int64{k: from}})
		}
	}
	return next
}

// unpolledFrom reports whether key k has an acknowledged message at offset
// from or later that no poll has returned.
func (w *Workload) unpolledFrom(k string, from int64) bool {
	for o := range w.unpolled[k] {
		if o >= from {
			return true
		}
	}
	return false
}

// proc returns the consumer state of op's process, forgetting the state of
// the process its client had before (a client changes process after an
// indefinite outcome and never returns to the old one).
func (w *Workload) proc(op *history.Op) *client {
	if old, ok := w.clientProc[op.Client]; ok && old != op.Process {
		delete(w.procs, old)
	}
	w.clientProc[op.Client] = op.Process
	c := w.procs[op.Process]
	if c == nil {
		c = &client{offsets: map[string]int64{}, polled: map[string]int64{}}
		w.procs[op.Process] = c
	}
	return c
}

type sendBody struct {
	Key string `json:"key"`
	Msg any    `json:"msg"`
}

type offsetsBody struct {
	Offsets map[string]int64 `json:"offsets"`
}

type listBody struct {
	Keys []string `json:"keys"`
}

func copyOffsets(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Request implements workloads.Workload. Polls and commits take their
// offsets from the client's state at invocation, and record them as the
// op's Value; final polls carry their own.
func (w *Workload) Request(op *history.Op) (string, any) {
	switch op.F {
	case kafkacheck.FSend:
		return "send", sendBody{Key: op.Key, Msg: op.Value}
	case kafkacheck.FPoll:
		if !op.Final {
			op.Value = copyOffsets(w.proc(op).offsets)
		}
		offs, _ := kafkacheck.Offsets(op.Value)
		return "poll", offsetsBody{Offsets: offs}
	case kafkacheck.FCommit:
		offs := copyOffsets(w.proc(op).polled)
		op.Value = offs
		return "commit_offsets", offsetsBody{Offsets: offs}
	default: // assign
		keys, _ := kafkacheck.Keys(op.Value)
		if keys == nil {
			keys = []string{}
		}
		return "list_committed_offsets", listBody{Keys: keys}
	}
}

// Complete implements workloads.Workload.
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	want := map[string]string{
		kafkacheck.FSend: "send_ok", kafkacheck.FPoll: "poll_ok",
		kafkacheck.FCommit: "commit_offsets_ok", kafkacheck.FAssign: "list_committed_offsets_ok",
	}[op.F]
	if resp.Type != want {
		return fmt.Errorf("expected a %s reply, got %s", want, resp.Type)
	}
	body, err := maelstrom.Decode[map[string]json.RawMessage](resp)
	if err != nil {
		return err
	}
	switch op.F {
	case kafkacheck.FSend:
		off, err := integer(body["offset"], "send_ok", "offset")
		if err != nil {
			return err
		}
		op.Result = off
		if cur, ok := w.sent[op.Key]; !ok || off > cur {
			w.sent[op.Key] = off
		}
		if w.unpolled[op.Key] == nil {
			w.unpolled[op.Key] = map[int64]bool{}
		}
		w.unpolled[op.Key][off] = true
	case kafkacheck.FPoll:
		raw, ok := body["msgs"]
		if !ok {
			return fmt.Errorf("poll_ok has no \"msgs\" field")
		}
		if isNull(raw) {
			return fmt.Errorf("poll_ok \"msgs\" is null, where Maelstrom's schema wants an object of keys to lists (a Go nil map encodes as null: make it)")
		}
		v, err := jsonval.Decode(raw)
		if err != nil {
			return fmt.Errorf("poll_ok \"msgs\": %w", err)
		}
		msgs, ok := kafkacheck.Msgs(v)
		if !ok {
			return fmt.Errorf("poll_ok \"msgs\" must map keys to lists of [offset, msg] pairs with integer offsets, got %.80s", raw)
		}
		op.Result = msgs
		var c *client
		if !op.Final {
			c = w.proc(op)
		}
		for k, ps := range msgs {
			if len(ps) == 0 {
				continue
			}
			top := ps[0].Offset
			for _, p := range ps {
				top = max(top, p.Offset)
				delete(w.unpolled[k], p.Offset)
			}
			if cur, ok := w.polled[k]; !ok || top > cur {
				w.polled[k] = top
			}
			if c != nil {
				c.offsets[k] = max(c.offsets[k], top+1)
				if cur, ok := c.polled[k]; !ok || top > cur {
					c.polled[k] = top
				}
			}
		}
	case kafkacheck.FAssign:
		raw, ok := body["offsets"]
		if !ok {
			return fmt.Errorf("list_committed_offsets_ok has no \"offsets\" field")
		}
		if isNull(raw) {
			return fmt.Errorf("list_committed_offsets_ok \"offsets\" is null, where Maelstrom's schema wants an object of keys to offsets (a Go nil map encodes as null: make it)")
		}
		v, err := jsonval.Decode(raw)
		if err != nil {
			return fmt.Errorf("list_committed_offsets_ok \"offsets\": %w", err)
		}
		committed, ok := kafkacheck.Offsets(v)
		if !ok {
			return fmt.Errorf("list_committed_offsets_ok \"offsets\" must map keys to integer offsets, got %.80s", raw)
		}
		op.Result = committed
		keys, _ := kafkacheck.Keys(op.Value)
		c := w.proc(op)
		offsets := map[string]int64{}
		polled := map[string]int64{}
		for _, k := range keys {
			// Keep the position of a key already assigned; start a new one
			// at its committed offset, or 0.
			if o, ok := c.offsets[k]; ok {
				offsets[k] = o
			} else {
				offsets[k] = committed[k]
			}
			if p, ok := c.polled[k]; ok {
				polled[k] = p
			}
		}
		c.offsets, c.polled = offsets, polled
	}
	return nil
}

// isNull reports whether a field is JSON null. Maelstrom's schema checker
// takes null for an empty list but not for a map.
func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func integer(raw json.RawMessage, typ, field string) (int64, error) {
	if raw == nil {
		return 0, fmt.Errorf("%s has no %q field", typ, field)
	}
	v, err := jsonval.Decode(raw)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", typ, field, err)
	}
	n, ok := jsonval.Int64(v)
	if !ok {
		return 0, fmt.Errorf("%s %q must be an integer, got %s", typ, field, raw)
	}
	return n, nil
}

// ErrorIsResult implements workloads.Workload: no error is a result here.
func (w *Workload) ErrorIsResult(*history.Op, int) bool { return false }
