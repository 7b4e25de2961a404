package elle

import (
	"fmt"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
)

// Micro-operation kinds, compact.
const (
	fRead byte = iota
	fWrite
	fAppend
)

// mop is one micro-operation with its key renumbered densely.
type mop struct {
	f     byte
	key   int32
	value int   // the written or appended value; a register read's value
	null  bool  // a register read of nil
	list  []int // a list read (nil and [] alike: the empty list)
}

// txnOp is one transaction of the history: the ok op's completed
// transaction, or what an info or failed op asked for (its reads unknown).
type txnOp struct {
	op     *history.Op
	status history.Outcome
	mops   []mop
}

func (t *txnOp) ok() bool   { return t.status == history.OK }
func (t *txnOp) fail() bool { return t.status == history.Fail }

// parsed is the history as the analyses read it. Transactions keep their
// order in the history (completion order); a transaction's position is its
// vertex in the dependency graph. Failed transactions are vertices without
// edges.
type parsed struct {
	workload string
	writes   int // write or append micro-operations, to size indexes
	reads    int // read micro-operations
	txns     []txnOp
	keys     []int // dense key -> the history's key
}

// parseError is a history the checker cannot analyse: Elle answers
// :unknown with a :type for these.
type parseError struct {
	kind string // Elle's :type, e.g. unexpected-txn-micro-op-types
	msg  string
}

func (e *parseError) Error() string { return e.kind + ": " + e.msg }

// parse reads the "txn" operations of a history for the given workload.
func parse(h history.History, workload string) (*parsed, error) {
	p := &parsed{workload: workload, txns: make([]txnOp, 0, len(h))}
	keyID := map[int]int32{}
	write := fWrite
	if workload == ListAppend {
		write = fAppend
	}
	for _, op := range h {
		if op.F != "txn" {
			continue
		}
		src := op.Value
		if op.Outcome == history.OK && op.Result != nil {
			src = op.Result
		}
		t, err := txn.Parse(src)
		if err != nil {
			return nil, &parseError{"malformed-txn", fmt.Sprintf("op %d: %v", op.Index, err)}
		}
		mops := make([]mop, len(t))
		for i, m := range t {
			k, ok := keyID[m.Key]
			if !ok {
				k = int32(len(p.keys))
				keyID[m.Key] = k
				p.keys = append(p.keys, m.Key)
			}
			mo := mop{key: k}
			switch {
			case m.F == txn.Read:
				mo.f = fRead
				p.reads++
				if err := readValue(&mo, m.Value, workload); err != nil {
					return nil, &parseError{"malformed-txn", fmt.Sprintf("op %d micro-op %d: %v", op.Index, i, err)}
				}
			case write == fAppend && m.F == txn.Append, write == fWrite && m.F == txn.Write:
				mo.f = write
				v, err := txn.Int(m.Value)
				if err != nil {
					return nil, &parseError{"malformed-txn", fmt.Sprintf("op %d micro-op %d: %s of %v: %v", op.Index, i, m.F, m.Value, err)}
				}
				mo.value = v
				p.writes++
			default:
				return nil, &parseError{"unexpected-txn-micro-op-types",
					fmt.Sprintf("op %d has micro-op %q; %s histories hold only %q and %q", op.Index, m.F, workload, txn.Read, writeName(write))}
			}
			mops[i] = mo
		}
		p.txns = append(p.txns, txnOp{op: op, status: op.Outcome, mops: mops})
	}
	return p, nil
}

func writeName(f byte) string {
	if f == fAppend {
		return txn.Append
	}
	return txn.Write
}

func readValue(m *mop, v any, workload string) error {
	if workload == ListAppend {
		switch l := v.(type) {
		case nil:
		case []int:
			m.list = l
		default:
			return fmt.Errorf("list-append read of %v: want a list", v)
		}
		return nil
	}
	if v == nil {
		m.null = true
		return nil
	}
	n, err := txn.Int(v)
	if err != nil {
		return fmt.Errorf("rw-register read of %v: %v", v, err)
	}
	m.value = n
	return nil
}

// kv is a key and one of its values.
type kv struct {
	key   int32
	value int
}
