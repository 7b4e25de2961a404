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

type writeRec struct {
	txn          int32
	intermediate bool // not the transaction's last write of the key
}

type versionEdge struct {
	key      int32
	from, to int
}

type regAnalysis struct {
	p         *parsed
	wrote     map[kv]writeRec // every write of every transaction
	extWriter map[kv]int32    // the ok transaction whose final write of the key was the value
	wfr       map[versionEdge]bool
	anomalies anomalies
	b         graphBuilder
}

func analyzeRWRegister(p *parsed) (*regAnalysis, error) {
	a := &regAnalysis{p: p, wrote: map[kv]writeRec{}, extWriter: map[kv]int32{}, wfr: map[versionEdge]bool{}, anomalies: anomalies{}}
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
			e := kv{m.key, m.value}
			if prev, dup := a.wrote[e]; dup && prev.txn != int32(i) {
				return nil, &parseError{"duplicate-writes", fmt.Sprintf("value %d was written to key %d by both %s and %s; writes must be unique",
					m.value, p.keys[m.key], p.name(prev.txn), p.name(int32(i)))}
			}
			a.wrote[e] = writeRec{txn: int32(i), intermediate: !final}
			if final && t.ok() {
				a.extWriter[e] = int32(i)
				okWriters[m.key] = append(okWriters[m.key], int32(i))
			}
		}
	}

	// External reads: wr edges, readers of each version, wfr version edges,
	// and the reads that no good write explains.
	nilReaders := make([][]int32, nk)
	firstReader := map[kv]int32{} // -> head of a list threaded through nextReader
	var readerTxn, nextReader []int32
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
			if !m.null {
				a.checkRead(int32(i), m)
			}
			if !external(t.mops, j) {
				continue
			}
			if m.null {
				nilReaders[m.key] = append(nilReaders[m.key], int32(i))
				continue
			}
			e := kv{m.key, m.value}
			if w, ok := a.extWriter[e]; ok {
				a.b.link(w, int32(i), relWR)
			}
			head, ok := firstReader[e]
			if !ok {
				head = -1
			}
			firstReader[e] = int32(len(readerTxn))
			readerTxn = append(readerTxn, int32(i))
			nextReader = append(nextReader, head)
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
			w2, ok := a.extWriter[kv{ve.key, ve.to}]
			if !ok {
				continue
			}
			if w1, ok := a.extWriter[kv{ve.key, ve.from}]; ok {
				a.b.link(w1, w2, relWW)
			}
			if head, ok := firstReader[kv{ve.key, ve.from}]; ok {
				for r := head; r >= 0; r = nextReader[r] {
					a.b.link(readerTxn[r], w2, relRW)
				}
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
func (a *regAnalysis) checkRead(i int32, m *mop) {
	p := a.p
	w, ok := a.wrote[kv{m.key, m.value}]
	mv := p.mopValue(m)
	switch {
	case !ok:
		c := p.newCase("garbage-read", i)
		c.Key, c.Mop, c.Element = p.key(m.key), &mv, m.value
		c.Explanation = fmt.Sprintf("%s read key %d = %d, but no transaction ever wrote %d to it", p.name(i), p.keys[m.key], m.value, m.value)
		a.anomalies.add(c)
	case p.txns[w.txn].fail():
		c := p.newCase("G1a", i, w.txn)
		c.Key, c.Mop, c.Element = p.key(m.key), &mv, m.value
		c.Explanation = fmt.Sprintf("%s read key %d = %d, which %s wrote, but that transaction failed: an aborted read", p.name(i), p.keys[m.key], m.value, p.name(w.txn))
		a.anomalies.add(c)
	case w.intermediate && w.txn != i:
		c := p.newCase("G1b", i, w.txn)
		c.Key, c.Mop, c.Element = p.key(m.key), &mv, m.value
		c.Explanation = fmt.Sprintf("%s read key %d = %d, which %s wrote and then overwrote within the same transaction: an intermediate read", p.name(i), p.keys[m.key], m.value, p.name(w.txn))
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
