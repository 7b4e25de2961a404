package elle

import (
	"fmt"
	"slices"
)

// RW-register (Elle's rw_register, with writes-follow-reads as Maelstrom
// enables it): transactions read and write registers with unique values.
// A read of v depends (wr) on the transaction whose final write of the key
// was v. Version orders are partial, inferred as Elle does from
//
//   - the initial state: every key starts nil, before every written value;
//   - writes follow reads: a transaction that read v and then wrote v' of
//     the same key ordered v before v'.
//
// Each version edge v -> v' gives ww edges from v's writer to v''s and rw
// edges from v's readers to v''s writer. Only a transaction's external
// reads (before its own writes of the key) and final writes count, and
// only ok transactions, as in Elle.

// valRec is what is known of one value of one key.
type valRec struct {
	writer       int32 // the transaction that wrote it, or -1
	intermediate bool  // the writer wrote the key again afterwards
	extWriter    int32 // the ok transaction whose final write of the key it was, or -1
	readers      int32 // its external readers: head of a list threaded through nextReader, or -1
}

type versionEdge struct {
	key      int32
	from, to int
}

type regAnalysis struct {
	p          *parsed
	vals       map[kv]int32 // (key, value) -> index in recs
	recs       []valRec
	readerTxn  []int32
	nextReader []int32
	wfr        map[versionEdge]bool
	anomalies  anomalies
	b          graphBuilder
}

// rec is the record of (k, v), or nil.
func (a *regAnalysis) rec(k int32, v int) *valRec {
	if i, ok := a.vals[kv{k, v}]; ok {
		return &a.recs[i]
	}
	return nil
}

// recFor is the record of (k, v), made if need be.
func (a *regAnalysis) recFor(k int32, v int) *valRec {
	i, ok := a.vals[kv{k, v}]
	if !ok {
		i = int32(len(a.recs))
		a.vals[kv{k, v}] = i
		a.recs = append(a.recs, valRec{writer: -1, extWriter: -1, readers: -1})
	}
	return &a.recs[i]
}

func (a *regAnalysis) extWriterOf(k int32, v int) int32 {
	if r := a.rec(k, v); r != nil {
		return r.extWriter
	}
	return -1
}

func analyzeRWRegister(p *parsed) (*regAnalysis, error) {
	a := &regAnalysis{p: p, vals: make(map[kv]int32, p.writes+p.reads/4), recs: make([]valRec, 0, p.writes+p.reads/4),
		wfr: map[versionEdge]bool{}, anomalies: anomalies{}}
	a.b.grow(16 * len(p.txns))
	nk := len(p.keys)
	okWriters := make([][]int32, nk) // per key: ok transactions with a final write of it
	for i := range p.txns {
		t := &p.txns[i]
		for j, m := range t.mops {
			if m.f != fWrite {
				continue
			}
			final := true
			for _, later := range t.mops[j+1:] {
				if later.f == fWrite && later.key == m.key {
					final = false
					break
				}
			}
			r := a.recFor(m.key, m.value)
			if r.writer >= 0 && r.writer != int32(i) {
				return nil, &parseError{"duplicate-writes", fmt.Sprintf("value %d was written to key %d by both %s and %s; writes must be unique",
					m.value, p.keys[m.key], p.name(r.writer), p.name(int32(i)))}
			}
			r.writer, r.intermediate = int32(i), !final
			if final && t.ok() {
				r.extWriter = int32(i)
				okWriters[m.key] = append(okWriters[m.key], int32(i))
			}
		}
	}

	// External reads: wr edges, readers of each version, wfr version edges,
	// and the reads that no good write explains.
	nilReaders := make([][]int32, nk)
	a.readerTxn, a.nextReader = make([]int32, 0, p.reads), make([]int32, 0, p.reads)
	var wfrByKey = map[int32][]versionEdge{}
	for i := range p.txns {
		t := &p.txns[i]
		if !t.ok() {
			continue
		}
		for j := range t.mops {
			m := &t.mops[j]
			if m.f != fRead {
				continue
			}
			ext := external(t.mops, j)
			if m.null {
				if ext {
					nilReaders[m.key] = append(nilReaders[m.key], int32(i))
				}
				continue
			}
			r := a.recFor(m.key, m.value)
			a.checkRead(int32(i), m, r)
			if !ext {
				continue
			}
			if r.extWriter >= 0 {
				a.b.link(r.extWriter, int32(i), relWR)
			}
			a.nextReader = append(a.nextReader, r.readers)
			r.readers = int32(len(a.readerTxn))
			a.readerTxn = append(a.readerTxn, int32(i))
			if v2, ok := finalWrite(t.mops, m.key); ok && v2 != m.value {
				ve := versionEdge{m.key, m.value, v2}
				if !a.wfr[ve] {
					a.wfr[ve] = true
					wfrByKey[m.key] = append(wfrByKey[m.key], ve)
				}
			}
		}
	}

	// Writes-follow-reads must not order a key's versions in a cycle; if
	// it does, Elle reports cyclic-versions and drops that source.
	if cyclic := cyclicVersions(p, wfrByKey); len(cyclic) > 0 {
		for _, c := range cyclic {
			a.anomalies.add(c)
		}
		clear(a.wfr)
		clear(wfrByKey)
	}

	// nil precedes every value: its readers rw-precede every writer.
	for k, rs := range nilReaders {
		for _, r := range rs {
			for _, w := range okWriters[k] {
				a.b.link(r, w, relRW)
			}
		}
	}
	for _, ves := range wfrByKey {
		for _, ve := range ves {
			w2 := a.extWriterOf(ve.key, ve.to)
			from := a.rec(ve.key, ve.from)
			if w2 < 0 || from == nil {
				continue
			}
			if from.extWriter >= 0 {
				a.b.link(from.extWriter, w2, relWW)
			}
			for r := from.readers; r >= 0; r = a.nextReader[r] {
				a.b.link(a.readerTxn[r], w2, relRW)
			}
		}
	}
	a.internal()
	lostUpdates(p, a.anomalies, fWrite)
	return a, nil
}

// external: the j-th micro-op, a read, is the transaction's first read of
// its key and comes before any write of it (jepsen.txn/ext-reads).
func external(ms []mop, j int) bool {
	for _, m := range ms[:j] {
		if m.key == ms[j].key {
			return false
		}
	}
	return true
}

// finalWrite is the transaction's last write of the key.
func finalWrite(ms []mop, k int32) (int, bool) {
	for j := len(ms) - 1; j >= 0; j-- {
		if ms[j].f == fWrite && ms[j].key == k {
			return ms[j].value, true
		}
	}
	return 0, false
}

// checkRead reports a read of a value that an aborted transaction wrote
// (G1a), that a transaction overwrote itself (G1b), or that nobody wrote.
func (a *regAnalysis) checkRead(i int32, m *mop, w *valRec) {
	p := a.p
	if w.writer >= 0 && !p.txns[w.writer].fail() && !(w.intermediate && w.writer != i) {
		return // the common case: a committed (or perhaps committed) final write
	}
	mv := p.mopValue(m)
	switch {
	case w.writer < 0:
		c := p.newCase("garbage-read", i)
		c.Key, c.Mop, c.Element = p.key(m.key), &mv, m.value
		c.Explanation = fmt.Sprintf("%s read key %d = %d, but no transaction ever wrote %d to it", p.name(i), p.keys[m.key], m.value, m.value)
		a.anomalies.add(c)
	case p.txns[w.writer].fail():
		c := p.newCase("G1a", i, w.writer)
		c.Key, c.Mop, c.Element = p.key(m.key), &mv, m.value
		c.Explanation = fmt.Sprintf("%s read key %d = %d, which %s wrote, but that transaction failed: an aborted read", p.name(i), p.keys[m.key], m.value, p.name(w.writer))
		a.anomalies.add(c)
	case w.intermediate && w.writer != i:
		c := p.newCase("G1b", i, w.writer)
		c.Key, c.Mop, c.Element = p.key(m.key), &mv, m.value
		c.Explanation = fmt.Sprintf("%s read key %d = %d, which %s wrote and then overwrote within the same transaction: an intermediate read", p.name(i), p.keys[m.key], m.value, p.name(w.writer))
		a.anomalies.add(c)
	}
}

// cyclicVersions finds keys whose inferred version order has a cycle.
func cyclicVersions(p *parsed, byKey map[int32][]versionEdge) []Case {
	var ks []int32
	for k, es := range byKey {
		if len(es) > 1 {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	var out []Case
	for _, k := range ks {
		es := byKey[k]
		ids := map[int]int32{}
		var vals []int
		id := func(v int) int32 {
			if i, ok := ids[v]; ok {
				return i
			}
			ids[v] = int32(len(vals))
			vals = append(vals, v)
			return ids[v]
		}
		var b graphBuilder
		for _, e := range es {
			b.link(id(e.from), id(e.to), relWW)
		}
		g := b.build(len(vals))
		for _, comp := range g.sccs(relAutomaton(relWW), nil) {
			scc := make([]int, len(comp))
			for i, c := range comp {
				scc[i] = vals[c]
			}
			slices.Sort(scc)
			c := Case{Type: "cyclic-versions", Key: p.key(k), Values: scc, pos: -1}
			c.Explanation = fmt.Sprintf("transactions that read and then wrote key %d order its values %s in a cycle (writes follow reads), so no version order exists",
				p.keys[k], showList(scc))
			out = append(out, c)
		}
	}
	return out
}

// internal finds reads that disagree with the transaction's own earlier
// reads and writes of the key.
func (a *regAnalysis) internal() {
	p := a.p
	type state struct {
		key   int32
		null  bool
		value int
	}
	var st []state
	for i := range p.txns {
		t := &p.txns[i]
		if !t.ok() || !repeatsKey(t.mops) {
			continue
		}
		st = st[:0]
		for j := range t.mops {
			m := &t.mops[j]
			var s *state
			for x := range st {
				if st[x].key == m.key {
					s = &st[x]
				}
			}
			if m.f == fWrite || s == nil {
				if s == nil {
					st = append(st, state{key: m.key})
					s = &st[len(st)-1]
				}
				s.null, s.value = m.f == fRead && m.null, m.value
				continue
			}
			if s.null != m.null || !m.null && s.value != m.value {
				c := p.newCase("internal", int32(i))
				mv := p.mopValue(m)
				var expected any = s.value
				if s.null {
					expected = nil
				}
				c.Key, c.Mop, c.Expected = p.key(m.key), &mv, expected
				c.Explanation = fmt.Sprintf("%s read key %d = %v after its own earlier micro-operations left it %v",
					p.name(int32(i)), p.keys[m.key], showValue(mv.Value), showValue(expected))
				a.anomalies.add(c)
				break
			}
		}
	}
}

func showValue(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprint(v)
}
