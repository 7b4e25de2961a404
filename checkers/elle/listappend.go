package elle

import (
	"fmt"
	"slices"
	"sort"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
)

// List-append (Elle's list_append): transactions append unique elements to
// lists and read whole lists. Every read of a key reveals the order of the
// appends it saw, so the longest read of a key is its version order, and
// every other read must be a prefix of it. Dependencies follow from that
// order: the appender of the element after e ww-follows the appender of e,
// a read ending in e wr-follows the appender of e and rw-precedes the
// appender of the next element. An append never read is known only to come
// after the last element read (Elle's choice): it ww-follows the last
// element's appender and rw-follows the readers of the whole list.

// elemRec is what is known of one appended element of one key.
type elemRec struct {
	writer       int32 // the ok or info transaction that appended it, or -1
	failed       int32 // the failed transaction that appended it, or -1
	pos          int32 // its position in the key's version order, or -1 if never read
	intermediate bool  // its appender appended to the key again afterwards
}

func (r *elemRec) appender() int32 {
	if r.writer >= 0 {
		return r.writer
	}
	return r.failed
}

// initElem stands for the empty list, the version before any append.
const initElem = -1

type appendAnalysis struct {
	p          *parsed
	elems      map[kv]int32 // (key, element) -> index in recs
	recs       []elemRec
	order      [][]int   // per key: its version order (distinct elements of its longest read)
	orderRec   [][]int32 // per key: the record of each element of order, or -1 if nobody appended it
	unobserved [][]int32 // per key: transactions with an append never read
	anomalies  anomalies
	b          graphBuilder
}

// Key flags for the second pass over reads.
const (
	flagIncompatible = 1 << iota
	flagDuplicate
	flagGarbage
	flagFailed
	flagIntermediate
)

func analyzeListAppend(p *parsed) (*appendAnalysis, error) {
	a := &appendAnalysis{p: p, elems: make(map[kv]int32, p.writes), anomalies: anomalies{}}
	a.recs = make([]elemRec, 0, p.writes)
	a.b.grow(16 * len(p.txns))
	nk := len(p.keys)
	appends := make([]int32, nk) // appends per key by ok or info transactions
	single := make([]int, nk)
	var lastAppend []kv // this transaction's last append per key, as (key, rec)
	for i := range p.txns {
		t := &p.txns[i]
		lastAppend = lastAppend[:0]
		for _, m := range t.mops {
			if m.f != fAppend {
				continue
			}
			e := kv{m.key, m.value}
			if prev, dup := a.elems[e]; dup {
				return nil, &parseError{"duplicate-appends", fmt.Sprintf("element %d was appended to key %d by both %s and %s; appends must be unique",
					m.value, p.keys[m.key], p.name(a.recs[prev].appender()), p.name(int32(i)))}
			}
			rec := elemRec{writer: int32(i), failed: -1, pos: -1}
			if t.fail() {
				rec.writer, rec.failed = -1, int32(i)
			} else {
				appends[m.key]++
				single[m.key] = m.value
			}
			a.elems[e] = int32(len(a.recs))
			a.recs = append(a.recs, rec)
			found := false
			for j := range lastAppend {
				if lastAppend[j].key == m.key {
					a.recs[lastAppend[j].value].intermediate = true
					lastAppend[j].value = len(a.recs) - 1
					found = true
				}
			}
			if !found {
				lastAppend = append(lastAppend, kv{m.key, len(a.recs) - 1})
			}
		}
	}

	// Version orders: the longest read of each key; every read must be a
	// prefix of it.
	flags := make([]uint8, nk)
	a.order = make([][]int, nk)
	a.orderRec = make([][]int32, nk)
	for i := range p.txns {
		t := &p.txns[i]
		if !t.ok() {
			continue
		}
		for _, m := range t.mops {
			if m.f != fRead || len(m.list) == 0 {
				continue
			}
			l := a.order[m.key]
			if len(m.list) <= len(l) {
				if !isPrefix(m.list, l) {
					flags[m.key] |= flagIncompatible
				}
			} else {
				if !isPrefix(l, m.list) {
					flags[m.key] |= flagIncompatible
				}
				a.order[m.key] = m.list
			}
		}
	}
	for k := range a.order {
		if a.order[k] == nil && appends[k] == 1 {
			// One append and no read: its versions were [] and [x].
			a.order[k] = []int{single[k]}
		}
		a.placeOrder(int32(k), &flags[k])
	}
	a.secondPass(flags)
	a.edges()
	a.internal()
	a.dirtyUpdates()
	lostUpdates(p, a.anomalies, fAppend)
	return a, nil
}

func isPrefix(a, b []int) bool {
	if len(a) > len(b) {
		return false
	}
	for i, x := range a {
		if b[i] != x {
			return false
		}
	}
	return true
}

// placeOrder numbers the elements of a key's order, dropping repeats
// (elements nobody appended stay: nothing is known to precede or follow
// them), and flags what the second pass must look at.
func (a *appendAnalysis) placeOrder(k int32, flags *uint8) {
	l := a.order[k]
	var distinct []int
	ws := make([]int32, 0, len(l))
	for i, e := range l {
		ri, ok := a.elems[kv{k, e}]
		if ok && a.recs[ri].pos >= 0 {
			*flags |= flagDuplicate
			if distinct == nil {
				distinct = append([]int(nil), l[:i]...)
			}
			continue
		}
		pos := int32(i)
		if distinct != nil {
			pos = int32(len(distinct))
			distinct = append(distinct, e)
		}
		if !ok {
			*flags |= flagGarbage
			ws = append(ws, -1)
			continue
		}
		r := &a.recs[ri]
		r.pos = pos
		if r.failed >= 0 {
			*flags |= flagFailed
		}
		if r.intermediate {
			*flags |= flagIntermediate
		}
		ws = append(ws, ri)
	}
	if distinct != nil {
		a.order[k] = distinct
	}
	a.orderRec[k] = ws
}

// secondPass looks again at the reads of keys whose order showed trouble:
// aborted, intermediate and garbage reads, duplicates and incompatible
// orders. Reads of other keys are prefixes of clean orders and hold none.
func (a *appendAnalysis) secondPass(flags []uint8) {
	p := a.p
	any := false
	for _, f := range flags {
		if f != 0 {
			any = true
			break
		}
	}
	if !any {
		return
	}
	values := map[int32][][]int{} // incompatible keys: their distinct reads, first seen first
	for i := range p.txns {
		t := &p.txns[i]
		if !t.ok() {
			continue
		}
		for j := range t.mops {
			m := &t.mops[j]
			if m.f != fRead || len(m.list) == 0 {
				continue
			}
			f := flags[m.key]
			if f == 0 {
				continue
			}
			if f&flagIncompatible != 0 {
				f = 0xff // anything may be wrong with these reads
				vs := values[m.key]
				if !slices.ContainsFunc(vs, func(v []int) bool { return slices.Equal(v, m.list) }) {
					values[m.key] = append(vs, m.list)
				}
			}
			a.checkRead(int32(i), m, f)
		}
	}
	var ks []int32
	for k := range values {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	for _, k := range ks {
		vs := values[k]
		sort.SliceStable(vs, func(i, j int) bool { return len(vs[i]) < len(vs[j]) })
		for i := 0; i+1 < len(vs); i++ {
			if !isPrefix(vs[i], vs[i+1]) {
				c := Case{Type: "incompatible-order", Key: p.key(k), Values: [][]int{vs[i], vs[i+1]}, pos: -1}
				c.Explanation = fmt.Sprintf("reads of key %d observed %s and %s: neither is a prefix of the other, so no single order of appends explains both",
					p.keys[k], showList(vs[i]), showList(vs[i+1]))
				a.anomalies.add(c)
				break
			}
		}
	}
}

func (a *appendAnalysis) checkRead(i int32, m *mop, f uint8) {
	p := a.p
	key := p.keys[m.key]
	var mv *txn.Mop // the read as the history has it, made when needed
	mopOf := func() *txn.Mop {
		if mv == nil {
			v := p.mopValue(m)
			mv = &v
		}
		return mv
	}
	if f&flagDuplicate != 0 {
		counts := map[int]int{}
		for _, e := range m.list {
			counts[e]++
		}
		dups := map[int]int{}
		for e, n := range counts {
			if n > 1 {
				dups[e] = n
			}
		}
		if len(dups) > 0 {
			c := p.newCase("duplicate-elements", i)
			c.Key, c.Mop, c.Element = p.key(m.key), mopOf(), dups
			c.Explanation = fmt.Sprintf("%s read key %d = %s, which holds some element more than once; every element was appended once", p.name(i), key, showList(m.list))
			a.anomalies.add(c)
		}
	}
	if f&(flagFailed|flagGarbage) != 0 {
		var garbage []int
		for _, e := range m.list {
			ri, ok := a.elems[kv{m.key, e}]
			if !ok {
				if f&flagGarbage != 0 {
					garbage = append(garbage, e)
				}
				continue
			}
			if r := &a.recs[ri]; f&flagFailed != 0 && r.failed >= 0 {
				c := p.newCase("G1a", i, r.failed)
				c.Key, c.Mop, c.Element = p.key(m.key), mopOf(), e
				c.Explanation = fmt.Sprintf("%s read key %d = %s, but %d was appended by %s, which failed: an aborted read",
					p.name(i), key, showList(m.list), e, p.name(r.failed))
				a.anomalies.add(c)
			}
		}
		if len(garbage) > 0 {
			c := p.newCase("garbage-read", i)
			c.Key, c.Mop, c.Element = p.key(m.key), mopOf(), garbage
			c.Explanation = fmt.Sprintf("%s read key %d = %s, but no transaction ever appended %s to it",
				p.name(i), key, showList(m.list), showList(garbage))
			a.anomalies.add(c)
		}
	}
	if f&flagIntermediate != 0 {
		last := m.list[len(m.list)-1]
		if ri, ok := a.elems[kv{m.key, last}]; ok {
			r := &a.recs[ri]
			if w := r.appender(); r.intermediate && w != i {
				c := p.newCase("G1b", i, w)
				c.Key, c.Mop, c.Element = p.key(m.key), mopOf(), last
				c.Explanation = fmt.Sprintf("%s read key %d = %s, ending in %d, but %s appended %d and then appended to key %d again: an intermediate read",
					p.name(i), key, showList(m.list), last, p.name(w), last, key)
				a.anomalies.add(c)
			}
		}
	}
}

// prev is the element appended just before (k, v), initElem for the empty
// list; for an append never read, the last element read.
func (a *appendAnalysis) prev(k int32, v int) (int, bool) {
	ord := a.order[k]
	if ri, ok := a.elems[kv{k, v}]; ok {
		if pos := a.recs[ri].pos; pos > 0 {
			return ord[pos-1], true
		} else if pos == 0 {
			return initElem, true
		}
	}
	if len(ord) == 0 {
		return initElem, false
	}
	return ord[len(ord)-1], false
}

// writer is the ok or info transaction that appended (k, e), or -1.
func (a *appendAnalysis) writer(k int32, e int) int32 {
	if ri, ok := a.elems[kv{k, e}]; ok {
		return a.recs[ri].writer
	}
	return -1
}

// writerAt is the ok or info appender of a record, or -1.
func (a *appendAnalysis) writerAt(ri int32) int32 {
	if ri < 0 {
		return -1
	}
	return a.recs[ri].writer
}

// edges adds the ww, wr and rw dependencies.
func (a *appendAnalysis) edges() {
	p := a.p
	a.unobserved = make([][]int32, len(p.keys))
	for i := range p.txns {
		t := &p.txns[i]
		if t.fail() {
			continue
		}
		for _, m := range t.mops {
			if m.f != fAppend {
				continue
			}
			ws := a.orderRec[m.key]
			prev := int32(len(ws)) // position of the previous element, +1
			if ri, ok := a.elems[kv{m.key, m.value}]; ok && a.recs[ri].pos >= 0 {
				prev = a.recs[ri].pos
			} else {
				a.unobserved[m.key] = append(a.unobserved[m.key], int32(i))
			}
			if prev > 0 {
				if w := a.writerAt(ws[prev-1]); w >= 0 {
					a.b.link(w, int32(i), relWW)
				}
			}
		}
	}
	for i := range p.txns {
		t := &p.txns[i]
		if !t.ok() {
			continue
		}
		for _, m := range t.mops {
			if m.f != fRead {
				continue
			}
			ws := a.orderRec[m.key]
			next := 0 // position of the next version in the order
			if n := len(m.list); n > 0 {
				ri, ok := a.elems[kv{m.key, m.list[n-1]}]
				if !ok {
					continue // garbage: nothing is known of it
				}
				r := &a.recs[ri]
				if r.writer >= 0 {
					a.b.link(r.writer, int32(i), relWR)
				}
				if r.pos < 0 {
					continue // not in the order: nothing is known to follow it
				}
				next = int(r.pos) + 1
			}
			if next < len(ws) {
				if w := a.writerAt(ws[next]); w >= 0 {
					a.b.link(int32(i), w, relRW)
				}
			} else {
				for _, w := range a.unobserved[m.key] {
					a.b.link(int32(i), w, relRW)
				}
			}
		}
	}
}

// internal finds reads that disagree with the transaction's own earlier
// reads and appends (Cerone et al.'s INT axiom), and reads of elements the
// transaction appends only later (future-read); one case of each per
// transaction, as Elle reports them.
func (a *appendAnalysis) internal() {
	p := a.p
	for i := range p.txns {
		t := &p.txns[i]
		if !t.ok() || !repeatsKey(t.mops) {
			continue
		}
		internalFound, futureFound := false, false
		for j := range t.mops {
			m := &t.mops[j]
			if m.f == fAppend {
				if !futureFound && readEarlier(t.mops[:j], m.key, m.value) {
					futureFound = true
					c := p.newCase("future-read", int32(i))
					mv := p.mopValue(m)
					c.Key, c.Mop, c.Element = p.key(m.key), &mv, m.value
					c.Explanation = fmt.Sprintf("%s read key %d holding %d before appending %d itself: it observed its own future write", p.name(int32(i)), p.keys[m.key], m.value, m.value)
					a.anomalies.add(c)
				}
				continue
			}
			if internalFound {
				continue
			}
			// What the transaction's own earlier micro-operations on the key
			// imply: the last read, if any, then the appends since.
			last, appends := -1, 0
			for x := j - 1; x >= 0; x-- {
				if t.mops[x].key != m.key {
					continue
				}
				if t.mops[x].f == fRead {
					last = x
					break
				}
				appends++
			}
			if last < 0 && appends == 0 {
				continue
			}
			if consistentRead(t.mops, j, last, appends) {
				continue
			}
			internalFound = true
			var expected any
			var exp []int
			if last >= 0 {
				exp = append(exp, t.mops[last].list...)
			}
			for x := last + 1; x < j; x++ {
				if t.mops[x].key == m.key {
					exp = append(exp, t.mops[x].value)
				}
			}
			if last >= 0 {
				expected = exp
			} else {
				expected = append([]any{"..."}, intsAny(exp)...)
			}
			c := p.newCase("internal", int32(i))
			mv := p.mopValue(m)
			c.Key, c.Mop, c.Expected = p.key(m.key), &mv, expected
			c.Explanation = fmt.Sprintf("%s read key %d = %s, which its own earlier reads and appends rule out (expected %v)",
				p.name(int32(i)), p.keys[m.key], showList(m.list), expected)
			a.anomalies.add(c)
		}
	}
}

// consistentRead: does read j equal the read at last (if last >= 0)
// followed by the transaction's appends to the key between them, or, with
// no earlier read, end with those appends?
func consistentRead(ms []mop, j, last, appends int) bool {
	l := ms[j].list
	base := 0
	if last >= 0 {
		prior := ms[last].list
		if len(l) != len(prior)+appends || !isPrefix(prior, l) {
			return false
		}
		base = len(prior)
	} else {
		if len(l) < appends {
			return false
		}
		base = len(l) - appends
	}
	for x := last + 1; x < j; x++ {
		if ms[x].key == ms[j].key && ms[x].f == fAppend {
			if l[base] != ms[x].value {
				return false
			}
			base++
		}
	}
	return true
}

// readEarlier: did one of these reads of the key hold v?
func readEarlier(ms []mop, k int32, v int) bool {
	for _, m := range ms {
		if m.f == fRead && m.key == k && slices.Contains(m.list, v) {
			return true
		}
	}
	return false
}

func intsAny(l []int) []any {
	out := make([]any, len(l))
	for i, x := range l {
		out[i] = x
	}
	return out
}

// repeatsKey: only a transaction touching some key twice can be internally
// inconsistent.
func repeatsKey(ms []mop) bool {
	for i := range ms {
		for j := i + 1; j < len(ms); j++ {
			if ms[i].key == ms[j].key {
				return true
			}
		}
	}
	return false
}

// dirtyUpdates finds committed appends placed after an aborted one in a
// key's order: the committed transaction built on state that never
// existed (Elle's dirty-update).
func (a *appendAnalysis) dirtyUpdates() {
	p := a.p
	for k, ord := range a.order {
		// The initial state is committed.
		from, fromOK := int32(-1), true
		var vs []int
		for pos, e := range ord {
			ri := a.orderRec[k][pos]
			if ri < 0 {
				continue
			}
			r := &a.recs[ri]
			t := r.appender()
			st := p.txns[t].status
			switch {
			case st == history.OK:
				if !fromOK {
					vs = append(vs, e)
					c := p.newCase("dirty-update", from, t)
					c.Key, c.Values = p.key(int32(k)), vs
					c.Explanation = fmt.Sprintf("%s appended %d to key %d on top of %s, whose append failed: key %d went through versions %s, some of which never committed",
						p.name(t), e, p.keys[k], p.name(from), p.keys[k], showList(vs))
					a.anomalies.add(c)
				}
				from, fromOK, vs = t, true, []int{e}
			case st == history.Fail:
				if fromOK {
					from, fromOK, vs = t, false, []int{e}
				} else {
					vs = append(vs, e)
				}
			default: // info: it may or may not have committed
				if !fromOK {
					vs = append(vs, e)
				}
			}
		}
	}
}
