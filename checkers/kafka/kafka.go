// Package kafka checks Maelstrom's kafka workload: append-only logs named by
// string keys, written by send and read by poll. It follows the analysis of
// Jepsen's jepsen.tests.kafka checker, which Maelstrom uses, for histories
// where every operation is a single send or a single poll (Maelstrom's
// kafka workload runs it with transactions off and assign-based
// subscriptions):
//
//   - inconsistent-offsets: one offset of a key holds two different
//     messages (from acknowledged sends and polls);
//   - duplicate: one message appears at two offsets of a key;
//   - lost-write: a poll observed the message at some position of a key's
//     log, but an acknowledged message at an earlier position was never
//     observed by any poll;
//   - unseen: an acknowledged message was never observed by any poll, not
//     even the final ones;
//   - int-poll-skip / int-nonmonotonic-poll: within one poll, consecutive
//     messages of a key jump over a known message, or go backwards;
//   - poll-skip / nonmonotonic-poll: between two successive polls of the
//     same client, the first message of the second poll is not the one just
//     after the last message of the first (tracking restarts at an assign,
//     and final polls, which seek, are not compared with earlier ones);
//   - nonmonotonic-send: a client's successive sends to one key land at
//     positions that go backwards;
//   - G1a (aborted read): a poll observed a message whose send failed.
//
// Positions are dense: offsets may be sparse, so "just after" means the
// next offset known to hold a message. Elle's cycle search is not run: with
// one send or poll per operation the only cycles it could find (G0, write
// cycles) are ones Jepsen allows for this workload.
//
// Beyond Jepsen the checker reports messages no client ever sent
// (unexpected), committed offsets past the one after the highest any client
// tried to commit (invented-commit: a consumer resuming there skips
// messages nobody processed), both errors, and committed offsets that go
// back below one already acknowledged (commit-regressed). The last is
// allowed by Maelstrom's specification ("starts at offset 3 (or lower)")
// and reported only, unless Options.StrictCommits is set.
package kafka

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/jsonval"
	"github.com/ddbbench/ddbbench/history"
)

// The operations of a kafka history, and what each records:
//
//	send:   Key the key, Value the message, Result the offset (when ok)
//	poll:   Value the offsets asked for (map key -> offset), Result the
//	        messages returned (map key -> [[offset, msg], ...])
//	commit: Value the offsets committed (map key -> offset)
//	assign: Value the keys ([]string), Result the committed offsets the
//	        server listed for them (map key -> offset)
const (
	FSend   = "send"
	FPoll   = "poll"
	FCommit = "commit"
	FAssign = "assign"
)

// Options configure the checker.
type Options struct {
	// Name is the checker's name in results; "kafka" when empty.
	Name string
	// StrictCommits makes a committed offset that goes back below one
	// already acknowledged an error, rather than a note.
	StrictCommits bool
}

// Checker is the kafka checker.
type Checker struct{ o Options }

// New returns a kafka checker.
func New(o Options) *Checker {
	if o.Name == "" {
		o.Name = "kafka"
	}
	return &Checker{o: o}
}

// Name implements checkers.Checker.
func (c *Checker) Name() string { return c.o.Name }

// caseCap bounds the cases listed per anomaly type; counts are exact.
const caseCap = 32

// Evidence is the checker's machine-readable detail.
type Evidence struct {
	// ErrorTypes are the anomaly types found; BadErrorTypes those that make
	// the history invalid.
	ErrorTypes    []string `json:"error_types,omitempty"`
	BadErrorTypes []string `json:"bad_error_types,omitempty"`
	// Counts is the number of cases of each anomaly type.
	Counts map[string]int `json:"counts,omitempty"`
	// Errors lists cases of each anomaly type (at most 32 each).
	Errors map[string][]Case `json:"errors,omitempty"`
	// Unseen counts, per key, the acknowledged messages no poll observed,
	// and lists the first 32 of them.
	Unseen map[string]UnseenKey `json:"unseen,omitempty"`

	SendCount      int `json:"send_count"`
	AckedSendCount int `json:"acknowledged_send_count"`
	PollCount      int `json:"poll_count"`
	KeyCount       int `json:"key_count"`
}

// UnseenKey is one key's unseen messages.
type UnseenKey struct {
	Count    int   `json:"count"`
	Messages []any `json:"messages"`
}

// Case is one anomaly. Fields are set as they apply to its type.
type Case struct {
	Key     string  `json:"key"`
	Offset  *int64  `json:"offset,omitempty"`
	Offsets []int64 `json:"offsets,omitempty"`
	Value   any     `json:"value,omitempty"`
	Values  []any   `json:"values,omitempty"`
	Delta   *int    `json:"delta,omitempty"`
	Skipped []any   `json:"skipped,omitempty"`
	// Ops are the indices of the operations involved: the writer, the
	// reader(s), the pair of successive polls or sends.
	Ops  []int  `json:"ops,omitempty"`
	Note string `json:"note,omitempty"`
}

type pair struct {
	off int64
	val string // canonical
}

type pollOp struct {
	op    *history.Op
	keys  []string          // sorted
	pairs map[string][]pair // as returned
}

type sendOp struct {
	op     *history.Op
	key    string
	val    string
	offset int64
	hasOff bool
}

// order is one key's version order.
type order struct {
	log        map[int64]map[string]bool
	offsets    []int64        // sorted offsets holding a message
	byIndex    []string       // dense index -> representative message
	byValue    map[string]int // message -> dense index (as representative)
	firstIndex map[string]int // message -> first dense index it appears at
	lastIndex  map[string]int // message -> last dense index it appears at
}

type analysis struct {
	raw       map[string]any // canonical message -> a value for evidence
	sends     []*sendOp
	polls     []*pollOp
	orders    map[string]*order
	writers   map[string]map[string]*sendOp // key -> msg -> a writer (ok first, then info, then fail)
	okSent    map[string]map[string]*sendOp
	okRead    map[string]map[string][]int // key -> msg -> reader op indices (first few)
	errs      map[string][]Case
	counts    map[string]int
	malformed int
}

func (a *analysis) add(typ string, c Case) {
	a.counts[typ]++
	if len(a.errs[typ]) < caseCap {
		a.errs[typ] = append(a.errs[typ], c)
	}
}

func (a *analysis) value(canon string) any {
	if v, ok := a.raw[canon]; ok {
		return v
	}
	return canon
}

func (a *analysis) values(canons []string) []any {
	out := make([]any, len(canons))
	for i, c := range canons {
		out[i] = a.value(c)
	}
	return out
}

func intp(i int) *int { return &i }

func int64p(i int64) *int64 { return &i }

// Check implements checkers.Checker.
func (c *Checker) Check(h history.History) checkers.Result {
	a := &analysis{
		raw:     map[string]any{},
		orders:  map[string]*order{},
		writers: map[string]map[string]*sendOp{},
		okSent:  map[string]map[string]*sendOp{},
		okRead:  map[string]map[string][]int{},
		errs:    map[string][]Case{},
		counts:  map[string]int{},
	}
	ev := &Evidence{}
	res := checkers.Result{Checker: c.o.Name, Evidence: ev}

	a.parse(h)
	a.buildOrders()
	a.offsetErrors()
	a.readErrors()
	a.lostWrites()
	a.intPoll()
	a.byProcess(h)
	unseen := a.unseen()
	a.commits(h)

	ev.SendCount = len(a.sends)
	for _, s := range a.sends {
		if s.op.Outcome == history.OK {
			ev.AckedSendCount++
		}
	}
	ev.PollCount = len(a.polls)
	keys := map[string]bool{}
	for _, s := range a.sends {
		keys[s.key] = true
	}
	for _, p := range a.polls {
		for _, k := range p.keys {
			keys[k] = true
		}
	}
	ev.KeyCount = len(keys)
	if len(unseen) > 0 {
		ev.Unseen = unseen
		n := 0
		for _, u := range unseen {
			n += u.Count
		}
		a.counts["unseen"] = n
	}

	for t := range a.counts {
		ev.ErrorTypes = append(ev.ErrorTypes, t)
	}
	sort.Strings(ev.ErrorTypes)
	for _, t := range ev.ErrorTypes {
		if t == "commit-regressed" && !c.o.StrictCommits {
			continue
		}
		ev.BadErrorTypes = append(ev.BadErrorTypes, t)
	}
	if len(a.counts) > 0 {
		ev.Counts = a.counts
	}
	if len(a.errs) > 0 {
		ev.Errors = a.errs
	}

	counts := fmt.Sprintf("%d sends (%d acknowledged), %d polls, %d keys", ev.SendCount, ev.AckedSendCount, ev.PollCount, ev.KeyCount)
	describe := func(types []string) string {
		var parts []string
		for _, t := range types {
			parts = append(parts, fmt.Sprintf("%s ×%d", t, a.counts[t]))
		}
		return strings.Join(parts, ", ")
	}
	switch {
	case len(ev.BadErrorTypes) > 0:
		res.Valid = checkers.Invalid
		res.Summary = describe(ev.BadErrorTypes) + " (" + counts + ")"
		if first := a.firstCase(ev.BadErrorTypes, unseen); first != "" {
			res.Summary += "; e.g. " + first
		}
	case ev.AckedSendCount == 0 || len(a.polls) == 0:
		res.Valid = checkers.Unknown
		res.Summary = "nothing was both sent and polled (" + counts + ")"
	default:
		res.Valid = checkers.Valid
		res.Summary = counts
		if len(ev.ErrorTypes) > 0 {
			res.Summary += "; allowed: " + describe(ev.ErrorTypes)
		}
	}
	return res
}

func (a *analysis) firstCase(types []string, unseen map[string]UnseenKey) string {
	for _, t := range types {
		if t == "unseen" {
			continue
		}
		if cs := a.errs[t]; len(cs) > 0 {
			cs := cs[0]
			s := fmt.Sprintf("%s on key %q", t, cs.Key)
			if cs.Value != nil {
				s += " value " + jsonval.Canon(cs.Value)
			}
			if len(cs.Values) > 0 {
				s += " values " + jsonval.Canon(cs.Values)
			}
			if len(cs.Ops) > 0 {
				s += fmt.Sprintf(" (ops %v)", cs.Ops)
			}
			return s
		}
	}
	for _, k := range sortedKeys(unseen) {
		u := unseen[k]
		return fmt.Sprintf("%d acknowledged messages on key %q never polled (%s)", u.Count, k, jsonval.Canon(u.Messages[:min(8, len(u.Messages))]))
	}
	return ""
}

// parse reads sends and polls out of the history.
func (a *analysis) parse(h history.History) {
	for _, op := range h {
		switch op.F {
		case FSend:
			s := &sendOp{op: op, key: op.Key, val: jsonval.Canon(op.Value)}
			a.raw[s.val] = op.Value
			if op.Outcome == history.OK {
				if off, ok := jsonval.Int64(op.Result); ok {
					s.offset, s.hasOff = off, true
				}
				put(a.okSent, s.key, s.val, s)
			}
			w := a.writers[s.key][s.val]
			if w == nil || rank(op.Outcome) < rank(w.op.Outcome) {
				put(a.writers, s.key, s.val, s)
			}
			a.sends = append(a.sends, s)
		case FPoll:
			if op.Outcome != history.OK {
				continue
			}
			pairs, ok := Msgs(op.Result)
			if !ok {
				a.malformed++
				continue
			}
			p := &pollOp{op: op, pairs: map[string][]pair{}}
			p.keys = sortedKeys(pairs)
			for _, k := range p.keys {
				for _, pr := range pairs[k] {
					cv := jsonval.Canon(pr.Msg)
					if _, ok := a.raw[cv]; !ok {
						a.raw[cv] = pr.Msg
					}
					p.pairs[k] = append(p.pairs[k], pair{off: pr.Offset, val: cv})
					if readers := a.okRead[k][cv]; len(readers) < 4 {
						if a.okRead[k] == nil {
							a.okRead[k] = map[string][]int{}
						}
						a.okRead[k][cv] = append(readers, op.Index)
					}
				}
			}
			a.polls = append(a.polls, p)
		}
	}
}

func rank(o history.Outcome) int {
	switch o {
	case history.OK:
		return 0
	case history.Info:
		return 1
	}
	return 2
}

func put[V any](m map[string]map[string]V, k, v string, x V) {
	if m[k] == nil {
		m[k] = map[string]V{}
	}
	m[k][v] = x
}

// buildOrders derives each key's log from acknowledged sends and every ok
// poll.
func (a *analysis) buildOrders() {
	note := func(k string, off int64, v string) {
		o := a.orders[k]
		if o == nil {
			o = &order{log: map[int64]map[string]bool{}}
			a.orders[k] = o
		}
		if o.log[off] == nil {
			o.log[off] = map[string]bool{}
		}
		o.log[off][v] = true
	}
	for _, s := range a.sends {
		if s.hasOff {
			note(s.key, s.offset, s.val)
		}
	}
	for _, p := range a.polls {
		for _, k := range p.keys {
			for _, pr := range p.pairs[k] {
				note(k, pr.off, pr.val)
			}
		}
	}
	for _, o := range a.orders {
		for off := range o.log {
			o.offsets = append(o.offsets, off)
		}
		sort.Slice(o.offsets, func(i, j int) bool { return o.offsets[i] < o.offsets[j] })
		o.byValue = map[string]int{}
		o.firstIndex = map[string]int{}
		o.lastIndex = map[string]int{}
		for i, off := range o.offsets {
			vals := sortedSet(o.log[off])
			o.byIndex = append(o.byIndex, vals[0])
			o.byValue[vals[0]] = i
			for _, v := range vals {
				if _, ok := o.firstIndex[v]; !ok {
					o.firstIndex[v] = i
				}
				o.lastIndex[v] = i
			}
		}
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// offsetErrors finds offsets with two messages and messages at two offsets.
func (a *analysis) offsetErrors() {
	for _, k := range sortedKeys(a.orders) {
		o := a.orders[k]
		at := map[string][]int64{}
		for _, off := range o.offsets {
			vals := sortedSet(o.log[off])
			if len(vals) > 1 {
				a.add("inconsistent-offsets", Case{Key: k, Offset: int64p(off), Values: a.values(vals)})
			}
			for _, v := range vals {
				at[v] = append(at[v], off)
			}
		}
		for _, v := range sortedKeys(at) {
			if offs := at[v]; len(offs) > 1 {
				a.add("duplicate", Case{Key: k, Value: a.value(v), Offsets: offs, Note: fmt.Sprintf("at %d offsets", len(offs))})
			}
		}
	}
}

// readErrors finds polled messages that were never sent (unexpected) or
// whose only sends failed (G1a).
func (a *analysis) readErrors() {
	for _, k := range sortedKeys(a.okRead) {
		for _, v := range sortedKeys(a.okRead[k]) {
			readers := a.okRead[k][v]
			w := a.writers[k][v]
			switch {
			case w == nil:
				a.add("unexpected", Case{Key: k, Value: a.value(v), Ops: readers, Note: "polled but never sent to this key"})
			case w.op.Outcome == history.Fail:
				a.add("G1a", Case{Key: k, Value: a.value(v), Ops: append([]int{w.op.Index}, readers...), Note: "polled, but its send failed"})
			}
		}
	}
}

// lostWrites finds acknowledged messages before the highest position some
// poll observed that no poll observed.
func (a *analysis) lostWrites() {
	for _, k := range sortedKeys(a.okRead) {
		o := a.orders[k]
		if o == nil {
			continue
		}
		read := a.okRead[k]
		bound := -1
		for v := range read {
			if i, ok := o.firstIndex[v]; ok && i > bound {
				bound = i
			}
		}
		if bound < 0 {
			continue
		}
		var maxReader []int
		if rs := read[o.byIndex[bound]]; len(rs) > 0 {
			maxReader = rs[:1]
		}
		for _, v := range sortedKeys(o.lastIndex) {
			i := o.lastIndex[v]
			if i > bound || read[v] != nil {
				continue
			}
			w := a.writers[k][v]
			// Only a send that must have happened counts: ok, or info with
			// its message polled (which it was not, here).
			if w == nil || w.op.Outcome != history.OK {
				continue
			}
			a.add("lost-write", Case{
				Key: k, Value: a.value(v), Offset: int64p(o.offsets[o.firstIndex[v]]),
				Ops:  append([]int{w.op.Index}, maxReader...),
				Note: fmt.Sprintf("position %d never polled, though position %d was (message %s)", o.firstIndex[v], bound, o.byIndex[bound]),
			})
		}
	}
}

// step compares two successive messages of a key: skip when it jumps over
// known messages, nonmonotonic when it does not move forward.
func (a *analysis) step(k string, v1, v2 string) (delta int, skipped []string, known bool) {
	o := a.orders[k]
	if o == nil {
		return 1, nil, false
	}
	i1, ok1 := o.byValue[v1]
	i2, ok2 := o.byValue[v2]
	if !ok1 || !ok2 {
		return 1, nil, false
	}
	if i2-i1 > 1 {
		skipped = o.byIndex[i1+1 : i2]
	}
	return i2 - i1, skipped, true
}

// intPoll checks each poll's messages of each key, in the order returned.
func (a *analysis) intPoll() {
	for _, p := range a.polls {
		for _, k := range p.keys {
			ps := p.pairs[k]
			for i := 1; i < len(ps); i++ {
				d, skipped, _ := a.step(k, ps[i-1].val, ps[i].val)
				c := Case{Key: k, Values: a.values([]string{ps[i-1].val, ps[i].val}), Delta: intp(d), Ops: []int{p.op.Index}}
				switch {
				case d > 1:
					c.Skipped = a.values(skipped)
					a.add("int-poll-skip", c)
				case d < 1:
					a.add("int-nonmonotonic-poll", c)
				}
			}
		}
	}
}

// byProcess checks each client's successive polls and sends.
func (a *analysis) byProcess(h history.History) {
	polls := map[*history.Op]*pollOp{}
	for _, p := range a.polls {
		polls[p.op] = p
	}
	sends := map[*history.Op]*sendOp{}
	for _, s := range a.sends {
		sends[s.op] = s
	}
	type state struct {
		lastRead map[string]*pollOp
		lastSend map[string]*sendOp
	}
	procs := map[int]*state{}
	for _, op := range h {
		st := procs[op.Process]
		if st == nil {
			st = &state{lastRead: map[string]*pollOp{}, lastSend: map[string]*sendOp{}}
			procs[op.Process] = st
		}
		switch op.F {
		case FAssign:
			if op.Outcome == history.Fail {
				continue
			}
			keep := map[string]bool{}
			if ks, ok := Keys(op.Value); ok {
				for _, k := range ks {
					keep[k] = true
				}
			}
			for k := range st.lastRead {
				if !keep[k] {
					delete(st.lastRead, k)
				}
			}
			for k := range st.lastSend {
				if !keep[k] {
					delete(st.lastSend, k)
				}
			}
		case FPoll:
			p := polls[op]
			if p == nil || op.Final {
				// Final polls seek back to the start: no comparison with
				// what this client read before.
				continue
			}
			for _, k := range p.keys {
				ps := p.pairs[k]
				if len(ps) == 0 {
					continue
				}
				if last := st.lastRead[k]; last != nil {
					lps := last.pairs[k]
					v1, v2 := lps[len(lps)-1].val, ps[0].val
					d, skipped, _ := a.step(k, v1, v2)
					c := Case{Key: k, Values: a.values([]string{v1, v2}), Delta: intp(d), Ops: []int{last.op.Index, op.Index}}
					switch {
					case d > 1:
						c.Skipped = a.values(skipped)
						a.add("poll-skip", c)
					case d < 1:
						a.add("nonmonotonic-poll", c)
					}
				}
				st.lastRead[k] = p
			}
		case FSend:
			s := sends[op]
			if s == nil || op.Outcome == history.Fail {
				continue
			}
			if last := st.lastSend[s.key]; last != nil {
				if d, _, known := a.step(s.key, last.val, s.val); known && d < 1 {
					a.add("nonmonotonic-send", Case{Key: s.key, Values: a.values([]string{last.val, s.val}), Delta: intp(d), Ops: []int{last.op.Index, op.Index}})
				}
			}
			st.lastSend[s.key] = s
		}
	}
}

// unseen lists acknowledged messages no ok poll observed.
func (a *analysis) unseen() map[string]UnseenKey {
	out := map[string]UnseenKey{}
	for _, k := range sortedKeys(a.okSent) {
		var missing []any
		for _, v := range sortedKeys(a.okSent[k]) {
			if a.okRead[k][v] == nil {
				missing = append(missing, a.value(v))
			}
		}
		if len(missing) > 0 {
			jsonval.Sort(missing)
			out[k] = UnseenKey{Count: len(missing), Messages: missing[:min(caseCap, len(missing))]}
		}
	}
	return out
}

type commitAt struct {
	t     int64
	off   int64
	index int
}

// prefixMax is commits sorted by time with the running maximum offset.
type prefixMax struct {
	at  []commitAt
	max []int64
}

func newPrefixMax(cs []commitAt) *prefixMax {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].t < cs[j].t })
	p := &prefixMax{at: cs}
	for i, c := range cs {
		m := c.off
		if i > 0 && p.max[i-1] > m {
			m = p.max[i-1]
		}
		p.max = append(p.max, m)
	}
	return p
}

// before returns the greatest offset among commits at times < t, and the
// index of one commit that reached it.
func (p *prefixMax) before(t int64) (int64, int, bool) {
	if p == nil {
		return 0, 0, false
	}
	n := sort.Search(len(p.at), func(i int) bool { return p.at[i].t >= t })
	if n == 0 {
		return 0, 0, false
	}
	m := p.max[n-1]
	for i := n - 1; i >= 0; i-- {
		if p.at[i].off == m {
			return m, p.at[i].index, true
		}
	}
	return m, 0, true
}

// commits compares the committed offsets servers listed with the commits
// clients made.
func (a *analysis) commits(h history.History) {
	acked := map[string][]commitAt{}     // by completion time
	attempted := map[string][]commitAt{} // by invocation time
	for _, op := range h {
		if op.F != FCommit || op.Outcome == history.Fail {
			continue
		}
		offs, ok := Offsets(op.Value)
		if !ok {
			continue
		}
		for k, off := range offs {
			attempted[k] = append(attempted[k], commitAt{t: op.Invoke, off: off, index: op.Index})
			if op.Outcome == history.OK {
				acked[k] = append(acked[k], commitAt{t: op.Complete, off: off, index: op.Index})
			}
		}
	}
	ackedMax := map[string]*prefixMax{}
	for k, cs := range acked {
		ackedMax[k] = newPrefixMax(cs)
	}
	attemptedMax := map[string]*prefixMax{}
	for k, cs := range attempted {
		attemptedMax[k] = newPrefixMax(cs)
	}
	for _, op := range h {
		if op.F != FAssign || op.Outcome != history.OK {
			continue
		}
		keys, _ := Keys(op.Value)
		listed, _ := Offsets(op.Result)
		sort.Strings(keys)
		for _, k := range keys {
			c, present := listed[k]
			if present && c > 0 {
				// A consumer resumes at the listed offset, so a server may
				// list the one after the last committed (Maelstrom: having
				// processed 2, "starts at offset 3 (or lower)"); beyond
				// that it skips messages nobody processed.
				if m, _, ok := attemptedMax[k].before(op.Complete + 1); !ok || c > m+1 {
					note := "no commit of this key had been attempted"
					if ok {
						note = fmt.Sprintf("the highest offset any client had tried to commit was %d", m)
					}
					a.add("invented-commit", Case{Key: k, Offset: int64p(c), Ops: []int{op.Index}, Note: note})
				}
			}
			if m, idx, ok := ackedMax[k].before(op.Invoke); ok && (!present || c < m) {
				note := fmt.Sprintf("offset %d was committed (op %d) before this listing began", m, idx)
				cs := Case{Key: k, Ops: []int{idx, op.Index}, Note: note}
				if present {
					cs.Offset = int64p(c)
				} else {
					cs.Note += ", which omitted the key"
				}
				a.add("commit-regressed", cs)
			}
		}
	}
}
