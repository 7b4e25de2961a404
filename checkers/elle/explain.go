package elle

import (
	"fmt"
	"strings"
	"time"
)

// A dataExplainer says why b depends on a through one data relation (ww,
// wr or rw): which key, which versions. Explanations are computed only for
// the cycles reported, from the workload's indexes, as Elle's explainers
// are.
type dataExplainer interface {
	explain(a, b int32, r rel, an, bn string) Step
}

// explainStep explains one edge of a cycle, named an and bn.
func explainStep(p *parsed, ex dataExplainer, a, b int32, r rel, an, bn string) Step {
	var s Step
	switch r {
	case relProcess:
		s = Step{Type: "process", Explanation: fmt.Sprintf("process %d executed %s before %s", p.txns[a].op.Process, an, bn)}
	case relRealtime:
		s = Step{Type: "realtime", Explanation: fmt.Sprintf("%s completed at %v, before %s was invoked at %v",
			an, time.Duration(p.txns[a].op.Complete), bn, time.Duration(p.txns[b].op.Invoke))}
	default:
		s = ex.explain(a, b, r, an, bn)
		s.Type = r.String()
	}
	s.From, s.To = p.txns[a].op.Index, p.txns[b].op.Index
	return s
}

// cycleCase turns a cycle into a case: its transactions named T1..Tn, each
// step explained, in the form of Elle's cycle explanations.
func cycleCase(p *parsed, ex dataExplainer, typ string, cyc []int32, rels []rel) Case {
	c := p.newCase(typ, cyc...)
	names := make([]string, len(cyc))
	var let []string
	for i, t := range cyc {
		names[i] = fmt.Sprintf("T%d", i+1)
		let = append(let, names[i]+" = "+p.name(t))
	}
	var then []string
	for i, a := range cyc {
		j := (i + 1) % len(cyc)
		s := explainStep(p, ex, a, cyc[j], rels[i], names[i], names[j])
		c.Steps = append(c.Steps, s)
		then = append(then, fmt.Sprintf("%s < %s, because %s", names[i], names[j], s.Explanation))
	}
	last := len(then) - 1
	then[last] = "however, " + then[last] + ": a contradiction!"
	c.Explanation = "Let " + strings.Join(let, ", ") + ". Then " + strings.Join(then, "; ")
	return c
}

// List-append explanations.
func (a *appendAnalysis) explain(x, y int32, r rel, xn, yn string) Step {
	p := a.p
	tx, ty := &p.txns[x], &p.txns[y]
	switch r {
	case relWW:
		for _, m := range ty.mops {
			if m.f != fAppend {
				continue
			}
			prev, observed := a.prev(m.key, m.value)
			if prev == initElem || a.writer(m.key, prev) != x {
				continue
			}
			s := Step{Key: p.key(m.key), Value: prev, Value2: m.value}
			if observed {
				s.Explanation = fmt.Sprintf("%s appended %d to key %d right after %s appended %d", yn, m.value, p.keys[m.key], xn, prev)
			} else {
				s.Explanation = fmt.Sprintf("%s appended %d to key %d, which no read observed, so it came after the last element read, %d, which %s appended", yn, m.value, p.keys[m.key], prev, xn)
			}
			return s
		}
	case relWR:
		for _, m := range ty.mops {
			if m.f == fRead && len(m.list) > 0 {
				last := m.list[len(m.list)-1]
				if a.writer(m.key, last) == x {
					return Step{Key: p.key(m.key), Value: last, Explanation: fmt.Sprintf("%s read key %d = %s, which ends in %s's append of %d", yn, p.keys[m.key], showList(m.list), xn, last)}
				}
			}
		}
	case relRW:
		for _, m := range ty.mops {
			if m.f != fAppend {
				continue
			}
			prev, observed := a.prev(m.key, m.value)
			for _, rm := range tx.mops {
				if rm.f != fRead || rm.key != m.key {
					continue
				}
				if prev == initElem && len(rm.list) == 0 || len(rm.list) > 0 && rm.list[len(rm.list)-1] == prev {
					s := Step{Key: p.key(m.key), Value2: m.value}
					switch {
					case prev == initElem:
						s.Explanation = fmt.Sprintf("%s read key %d = [], and %s appended %d to it, so %s did not observe that append", xn, p.keys[m.key], yn, m.value, xn)
					case observed:
						s.Value = prev
						s.Explanation = fmt.Sprintf("%s read key %d = %s, and %s appended %d right after %d, so %s did not observe that append", xn, p.keys[m.key], showList(rm.list), yn, m.value, prev, xn)
					default:
						s.Value = prev
						s.Explanation = fmt.Sprintf("%s read key %d = %s, the longest read of it, and %s appended %d, which no read observed, so it came later", xn, p.keys[m.key], showList(rm.list), yn, m.value)
					}
					return s
				}
			}
		}
	}
	return Step{Explanation: fmt.Sprintf("%s %s-precedes %s", xn, r, yn)}
}

// RW-register explanations.
func (a *regAnalysis) explain(x, y int32, r rel, xn, yn string) Step {
	p := a.p
	tx, ty := &p.txns[x], &p.txns[y]
	switch r {
	case relWR:
		for j, m := range ty.mops {
			if m.f == fRead && !m.null && external(ty.mops, j) && a.extWriterOf(m.key, m.value) == x {
				return Step{Key: p.key(m.key), Value: m.value, Explanation: fmt.Sprintf("%s wrote key %d = %d, which %s read", xn, p.keys[m.key], m.value, yn)}
			}
		}
	case relWW, relRW:
		for _, m := range ty.mops {
			if m.f != fWrite {
				continue
			}
			if v2, ok := finalWrite(ty.mops, m.key); !ok || v2 != m.value {
				continue
			}
			for j, xm := range tx.mops {
				if xm.key != m.key {
					continue
				}
				if r == relWW {
					if v1, ok := finalWrite(tx.mops, m.key); ok && xm.f == fWrite && xm.value == v1 && a.wfr[versionEdge{m.key, v1, m.value}] {
						return Step{Key: p.key(m.key), Value: v1, Value2: m.value,
							Explanation: fmt.Sprintf("%s wrote key %d = %d, and %s read %d and then wrote %d, which came later in the version order", xn, p.keys[m.key], v1, yn, v1, m.value)}
					}
					continue
				}
				if xm.f != fRead || !external(tx.mops, j) {
					continue
				}
				if xm.null {
					return Step{Key: p.key(m.key), Value2: m.value,
						Explanation: fmt.Sprintf("%s read key %d = nil, its initial state, and %s wrote %d to it, which came later", xn, p.keys[m.key], yn, m.value)}
				}
				if a.wfr[versionEdge{m.key, xm.value, m.value}] {
					return Step{Key: p.key(m.key), Value: xm.value, Value2: m.value,
						Explanation: fmt.Sprintf("%s read key %d = %d, and %s read %d and then overwrote it with %d", xn, p.keys[m.key], xm.value, yn, xm.value, m.value)}
				}
			}
		}
	}
	return Step{Explanation: fmt.Sprintf("%s %s-precedes %s", xn, r, yn)}
}
