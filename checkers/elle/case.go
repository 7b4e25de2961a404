package elle

import (
	"fmt"
	"strings"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
)

// Case is one found anomaly, as results.json holds it.
type Case struct {
	Type string `json:"type"`
	// Explanation says in words why this is an anomaly.
	Explanation string `json:"explanation"`
	// Txns are the transactions involved; for a cycle, in cycle order.
	Txns []TxnRef `json:"txns,omitempty"`

	Key      *int     `json:"key,omitempty"`
	Mop      *txn.Mop `json:"mop,omitempty"`      // the offending micro-operation
	Element  any      `json:"element,omitempty"`  // the offending element or value
	Expected any      `json:"expected,omitempty"` // internal: what the transaction's own writes imply
	Values   any      `json:"values,omitempty"`   // incompatible-order: the two reads; dirty-update: the versions
	Value    any      `json:"value,omitempty"`    // lost-update: the value both read

	Steps []Step `json:"steps,omitempty"` // a cycle's edges

	// For "-cycle-exists" and cycle-search-timeout: the component.
	Not      string `json:"not,omitempty"`
	Subgraph string `json:"subgraph,omitempty"`
	SCCSize  int    `json:"scc_size,omitempty"`
	SCC      []int  `json:"scc,omitempty"` // op indexes, at most 32
	Spec     string `json:"anomaly_spec_type,omitempty"`
	// pos orders cases of one type by where they occur in the history.
	pos int
}

// TxnRef names a transaction of the history.
type TxnRef struct {
	Index   int             `json:"index"`
	Process int             `json:"process"`
	Type    history.Outcome `json:"type"`
	Value   txn.Txn         `json:"value"`
}

// Step is one edge of a cycle: From depends on To through Type.
type Step struct {
	From        int    `json:"from"` // op index
	To          int    `json:"to"`
	Type        string `json:"type"` // ww, wr, rw, process or realtime
	Key         *int   `json:"key,omitempty"`
	Value       any    `json:"value,omitempty"`
	Value2      any    `json:"value',omitempty"`
	Explanation string `json:"explanation"`
}

func (p *parsed) ref(i int32) TxnRef {
	t := &p.txns[i]
	return TxnRef{Index: t.op.Index, Process: t.op.Process, Type: t.status, Value: p.txnValue(i)}
}

// txnValue is the transaction as the history holds it, keys restored.
func (p *parsed) txnValue(i int32) txn.Txn {
	t := &p.txns[i]
	out := make(txn.Txn, len(t.mops))
	for j := range t.mops {
		out[j] = p.mopValue(&t.mops[j])
		if !t.ok() && t.mops[j].f == fRead {
			out[j].Value = nil // its reads are unknown
		}
	}
	return out
}

func (p *parsed) mopValue(m *mop) txn.Mop {
	k := p.keys[m.key]
	switch m.f {
	case fAppend:
		return txn.Mop{F: txn.Append, Key: k, Value: m.value}
	case fWrite:
		return txn.Mop{F: txn.Write, Key: k, Value: m.value}
	}
	if p.workload == ListAppend {
		l := m.list
		if l == nil {
			l = []int{}
		}
		return txn.Mop{F: txn.Read, Key: k, Value: l}
	}
	if m.null {
		return txn.Mop{F: txn.Read, Key: k}
	}
	return txn.Mop{F: txn.Read, Key: k, Value: m.value}
}

func (p *parsed) key(k int32) *int { v := p.keys[k]; return &v }

// name is how explanations refer to a transaction.
func (p *parsed) name(i int32) string {
	t := &p.txns[i]
	s := fmt.Sprintf("op %d (process %d", t.op.Index, t.op.Process)
	if t.status != history.OK {
		s += ", " + string(t.status)
	}
	return s + ")"
}

// newCase starts a case about the given transactions.
func (p *parsed) newCase(typ string, txns ...int32) Case {
	c := Case{Type: typ, pos: int(txns[0])}
	for _, i := range txns {
		c.Txns = append(c.Txns, p.ref(i))
	}
	return c
}

func showList(l []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range l {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, x)
	}
	b.WriteByte(']')
	return b.String()
}

// anomalies collects cases by type.
type anomalies map[string][]Case

func (a anomalies) add(c Case) { a[c.Type] = append(a[c.Type], c) }
