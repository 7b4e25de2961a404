package commit

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// SagaNode runs each transaction as a saga (Garcia-Molina & Salem,
// "Sagas", SIGMOD 1987): a sequence of local transactions T1, T2, ..., Tn,
// one per site the transaction touches, each committed at its site on its
// own, each with a compensating transaction Ci that semantically undoes
// it. The saga execution coordinator (the node the client asked) runs the
// steps in order; when a step fails (a transfer that would overdraw, or a
// site that does not answer), it runs the compensations of the steps
// already done in reverse order, Cj, ..., C1, and the transaction has, in
// the end, no effect. A saga is thus eventually all-or-nothing, and never
// blocks: no step holds anything once it committed.
//
// It gives up isolation for that: between its steps a saga's partial
// effects are visible, and others act on them. A transaction that reads
// a key a saga wrote at its first site and another it has not yet
// written at its second sees half of it (Adya's G1c, or a fractured read),
// two sagas that touch the same two sites in opposite orders each see the
// other first (G0), and a reader may see a step that is later compensated
// (G1a). Garcia-Molina & Salem say so: sagas suit long-lived
// transactions that can afford to expose their steps.
//
// Each local step runs atomically at its site in one event, under strict
// two-phase locking that takes and releases its locks in that event (the
// site is single-threaded, so no other transaction ever holds them when it
// runs). A site forces the step and its undo information to its log with
// the data before answering, and remembers it, so a repeated step returns
// the same results; a compensation for a step that never ran leaves a
// tombstone, so the step, arriving late, is refused. The coordinator
// forces the saga's plan to its log before the first step; after a crash
// it recovers backwards, compensating every step (the saga log of the
// paper, used for backward recovery only).
type SagaNode struct {
	env      nodes.Env
	mux      *nodes.Mux
	self     string
	sites    []string
	inc, seq int
	sagas    map[string]*saga // sagas this node coordinates, by name
	accounts []int
}

// step is one local transaction: micro-operations at one site. Pos is
// each operation's place in the client's transaction, for the reply.
type step struct {
	Site string   `json:"site"`
	Ops  []sagaOp `json:"ops"`
}

// sagaOp is a micro-operation of a step: Maelstrom's r, w and append, and
// the bank's add (a signed amount; a debit may not overdraw).
type sagaOp struct {
	F     string          `json:"f"`
	Key   string          `json:"k"`
	Value json.RawMessage `json:"v,omitempty"`
	Pos   int             `json:"pos"`
}

// saga is one saga at its coordinator.
type saga struct {
	name    string
	steps   []step
	results []json.RawMessage // by Pos
	done    int               // steps committed
	reply   func(results []json.RawMessage)
	fail    func(code int, text string)
}

// NewSagaNode returns a node that runs transactions as sagas.
func NewSagaNode() *SagaNode { return &SagaNode{} }

// Saga timing: a step is sent again every resendEvery and given up on
// after stepTimeout, which starts the compensations.
const stepTimeout = time.Second

// Init implements nodes.Node.
func (s *SagaNode) Init(env nodes.Env) {
	s.env, s.self, s.sites = env, env.ID(), env.NodeIDs()
	s.sagas = map[string]*saga{}
	st := env.Store()
	s.inc = 1
	if b, ok := st.Get("incarnation"); ok {
		s.inc, _ = strconv.Atoi(string(b))
		s.inc++
	}
	st.Put("incarnation", []byte(strconv.Itoa(s.inc)))
	st.Sync()
	s.mux = nodes.NewMux(env)
	s.mux.Handle("txn", s.txn)
	s.mux.Handle("transfer", s.transfer)
	s.mux.Handle("read", s.bankRead)
	s.mux.Handle("bank_init", s.bankInit)
	serve(s, "step", s.exec)
	serve(s, "compensate", s.compensateAt)
	s.recover()
}

// Handle implements nodes.Node.
func (s *SagaNode) Handle(msg maelstrom.Msg) { s.mux.Dispatch(msg) }

// The host methods the messaging helpers use.
func (s *SagaNode) Env() nodes.Env                             { return s.env }
func (s *SagaNode) Self() string                               { return s.self }
func (s *SagaNode) Later(f func())                             { s.env.SetTimer(0, f) }
func (s *SagaNode) Register(typ string, h func(maelstrom.Msg)) { s.mux.Handle(typ, h) }

// siteOf is the node that owns key, as in the sharded store.
func (s *SagaNode) siteOf(key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return s.sites[int(h.Sum32()%uint32(len(s.sites)))]
}

// The saga execution coordinator.

const sagaIndex = "sagas"

func sagaKey(name string) string { return "g/" + name }

// begin starts a saga: its plan is forced to the log, then the first step
// runs.
func (s *SagaNode) begin(steps []step, width int, reply func([]json.RawMessage), fail func(int, string)) {
	s.seq++
	g := &saga{name: fmt.Sprintf("%s.%d.%d", s.self, s.inc, s.seq), steps: steps, results: make([]json.RawMessage, width), reply: reply, fail: fail}
	s.sagas[g.name] = g
	s.env.SetRole(deadlock.CoordinatorRole)
	st := s.env.Store()
	plan, _ := json.Marshal(steps)
	st.Put(sagaKey(g.name), plan)
	s.putIndex()
	st.Sync()
	s.env.CommitState(g.name, history.TxnCommitting, "")
	s.next(g)
}

func (s *SagaNode) putIndex() {
	names := make([]string, 0, len(s.sagas))
	for n := range s.sagas {
		names = append(names, n)
	}
	slices.Sort(names)
	b, _ := json.Marshal(names)
	s.env.Store().Put(sagaIndex, b)
}

// next runs the next step, or ends the saga once all have committed.
func (s *SagaNode) next(g *saga) {
	if g.done == len(g.steps) {
		s.end(g)
		s.env.CommitState(g.name, history.TxnCommit, "")
		g.reply(g.results)
		return
	}
	i := g.done
	st := g.steps[i]
	deadline := s.env.Now() + stepTimeout
	answered := false
	call(s, st.Site, "step", stepBody{Saga: g.name, Index: i, Ops: st.Ops}, s.exec,
		func() bool { return !answered && s.env.Now() < deadline && s.sagas[g.name] == g },
		func(r stepReply) {
			if answered || s.sagas[g.name] != g {
				return
			}
			answered = true
			if r.Refused != "" {
				s.compensate(g, i-1, "refused", maelstrom.PreconditionFailed, r.Refused)
				return
			}
			for j, op := range st.Ops {
				g.results[op.Pos] = r.Results[j]
			}
			g.done++
			if g.done == 1 && len(g.steps) > 1 {
				// Half done: the coordinator's worst moment to crash.
				s.env.SetPhase(history.TxnDeciding)
				defer s.env.SetPhase("")
			}
			s.next(g)
		})
	s.env.SetTimer(stepTimeout, func() {
		if !answered && s.sagas[g.name] == g {
			answered = true
			// The step may or may not have run: compensate it too.
			s.compensate(g, i, "step-timeout", maelstrom.TxnConflict, fmt.Sprintf("step %d at %s did not answer", i, st.Site))
		}
	})
}

// compensate runs the compensations of steps from down to 0, in reverse,
// each repeated until its site acknowledges, then fails the transaction.
func (s *SagaNode) compensate(g *saga, from int, cause string, code int, text string) {
	if from < 0 {
		s.end(g)
		s.env.CommitState(g.name, history.TxnAbort, cause)
		if g.fail != nil {
			g.fail(code, "saga aborted and compensated: "+text)
		}
		return
	}
	acked := false
	call(s, g.steps[from].Site, "compensate", compensateBody{Saga: g.name, Index: from}, s.compensateAt, func() bool { return !acked }, func(ackBody) {
		if !acked {
			acked = true
			s.compensate(g, from-1, cause, code, text)
		}
	})
}

// end drops the saga from the log (unforced: recovering it again only
// compensates what is already compensated).
func (s *SagaNode) end(g *saga) {
	delete(s.sagas, g.name)
	if len(s.sagas) == 0 {
		s.env.SetRole("")
	}
	s.env.Store().Delete(sagaKey(g.name))
	s.putIndex()
}

// recover compensates, backwards, every saga a crash interrupted.
func (s *SagaNode) recover() {
	st := s.env.Store()
	var names []string
	if b, ok := st.Get(sagaIndex); ok {
		_ = json.Unmarshal(b, &names)
	}
	for _, name := range names {
		b, ok := st.Get(sagaKey(name))
		if !ok {
			continue
		}
		var steps []step
		if json.Unmarshal(b, &steps) != nil {
			continue
		}
		g := &saga{name: name, steps: steps}
		s.sagas[name] = g
		s.compensate(g, len(steps)-1, "recovery", 0, "")
	}
}

// Steps at a site.

type (
	stepBody struct {
		Saga  string   `json:"saga"`
		Index int      `json:"index"`
		Ops   []sagaOp `json:"ops"`
	}
	stepReply struct {
		Results []json.RawMessage `json:"results,omitempty"`
		Refused string            `json:"refused,omitempty"`
	}
	compensateBody struct {
		Saga  string `json:"saga"`
		Index int    `json:"index"`
	}
	// stepRecord is a step as its site logged it: the results it
	// answered, the compensation that undoes it, and whether that ran.
	stepRecord struct {
		Results     []json.RawMessage `json:"results,omitempty"`
		Refused     string            `json:"refused,omitempty"`
		Undo        []sagaOp          `json:"undo,omitempty"`
		Compensated bool              `json:"compensated,omitempty"`
	}
)

func stepKey(saga string, i int) string { return "s/" + saga + "/" + strconv.Itoa(i) }
func valueKey(k string) string          { return "v/" + k }

func (s *SagaNode) value(k string) json.RawMessage {
	if v, ok := s.env.Store().Get(valueKey(k)); ok {
		return v
	}
	return json.RawMessage("null")
}

func (s *SagaNode) record(saga string, i int) (stepRecord, bool) {
	var r stepRecord
	b, ok := s.env.Store().Get(stepKey(saga, i))
	return r, ok && json.Unmarshal(b, &r) == nil
}

func (s *SagaNode) putRecord(saga string, i int, r stepRecord) {
	b, _ := json.Marshal(r)
	s.env.Store().Put(stepKey(saga, i), b)
}

// exec runs a step as a local transaction, at most once: its writes and
// its record are forced together.
func (s *SagaNode) exec(_ string, b stepBody, reply func(stepReply)) {
	if r, ok := s.record(b.Saga, b.Index); ok {
		if r.Compensated && r.Results == nil && r.Refused == "" {
			r.Refused = "compensated before it ran"
		}
		reply(stepReply{Results: r.Results, Refused: r.Refused})
		return
	}
	r := s.run(b.Ops)
	st := s.env.Store()
	s.putRecord(b.Saga, b.Index, r)
	st.Sync()
	if r.Refused == "" && len(r.Undo) > 0 {
		s.env.CommitState(b.Saga, history.TxnCommitted, "") // a step that wrote
	}
	reply(stepReply{Results: r.Results, Refused: r.Refused})
}

// run applies the operations to the store (unsynced) and returns the
// results and the compensation; a debit that would overdraw refuses the
// step, which then changes nothing.
func (s *SagaNode) run(ops []sagaOp) stepRecord {
	cur := map[string]json.RawMessage{}
	get := func(k string) json.RawMessage {
		if v, ok := cur[k]; ok {
			return v
		}
		return s.value(k)
	}
	var r stepRecord
	var undo []sagaOp
	for _, op := range ops {
		old := get(op.Key)
		switch op.F {
		case "r":
			r.Results = append(r.Results, old)
			continue
		case "w":
			undo = append(undo, sagaOp{F: "w", Key: op.Key, Value: old})
			cur[op.Key] = op.Value
		case "append":
			var list []json.RawMessage
			_ = json.Unmarshal(old, &list)
			cur[op.Key], _ = json.Marshal(append(list, op.Value))
			undo = append(undo, sagaOp{F: "remove", Key: op.Key, Value: op.Value})
		case "add":
			var bal, amount int
			_ = json.Unmarshal(old, &bal)
			_ = json.Unmarshal(op.Value, &amount)
			if bal+amount < 0 && amount < 0 {
				return stepRecord{Refused: fmt.Sprintf("account %s holds %d, less than the %d to move", op.Key, bal, -amount)}
			}
			cur[op.Key] = json.RawMessage(strconv.Itoa(bal + amount))
			undo = append(undo, sagaOp{F: "add", Key: op.Key, Value: json.RawMessage(strconv.Itoa(-amount))})
		}
		r.Results = append(r.Results, op.Value)
	}
	for _, k := range sortedKeys(cur) {
		s.env.Store().Put(valueKey(k), cur[k])
	}
	slices.Reverse(undo)
	r.Undo = undo
	return r
}

// compensateAt runs a step's compensation, once: the undo operations, in
// reverse order of the step's, on whatever the keys hold now. A step that
// never ran gets a tombstone, so that it is refused if it arrives late.
func (s *SagaNode) compensateAt(_ string, b compensateBody, reply func(ackBody)) {
	r, ok := s.record(b.Saga, b.Index)
	if ok && r.Compensated {
		reply(ackBody{})
		return
	}
	st := s.env.Store()
	for _, op := range r.Undo {
		old := s.value(op.Key)
		switch op.F {
		case "w":
			st.Put(valueKey(op.Key), op.Value)
		case "remove":
			var list []json.RawMessage
			_ = json.Unmarshal(old, &list)
			list = slices.DeleteFunc(list, func(e json.RawMessage) bool { return string(e) == string(op.Value) })
			b, _ := json.Marshal(list)
			st.Put(valueKey(op.Key), b)
		case "add":
			var bal, amount int
			_ = json.Unmarshal(old, &bal)
			_ = json.Unmarshal(op.Value, &amount)
			st.Put(valueKey(op.Key), json.RawMessage(strconv.Itoa(bal+amount)))
		}
	}
	ran := ok && r.Refused == "" && len(r.Undo) > 0
	r.Compensated = true
	s.putRecord(b.Saga, b.Index, r)
	st.Sync()
	if ran {
		s.env.CommitState(b.Saga, history.TxnAborted, "")
	}
	reply(ackBody{})
}
