package commit

import (
	"encoding/json"
	"slices"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// record is a participant's prepared record, forced to the log before it
// votes yes: enough to finish the attempt after a crash, since the vote is
// a promise to commit if told to, whatever happens meanwhile.
type record struct {
	Txn       string                     `json:"txn"`
	Owner     deadlock.Owner             `json:"owner"`
	Writers   []string                   `json:"writers"`
	Locks     []deadlock.Lock            `json:"locks"`
	Writes    map[string]json.RawMessage `json:"writes"`
	Acceptors []string                   `json:"acceptors,omitempty"`
	Instances []string                   `json:"instances,omitempty"`
	// State is a protocol's own: three-phase commit's pre-committed.
	State string `json:"state,omitempty"`
}

// ledger is a participant's durable memory: its prepared records (with an
// index, since the store cannot list its keys) and the outcomes it
// applied, which it tells whoever asks.
type ledger struct {
	n        *deadlock.Node
	prepared map[string]*record
	index    []string        // prepared attempts, in the order prepared
	readOnly map[string]bool // voted read-only: no longer a participant
}

// Keys in the durable store.
const preparedIndex = "prepared"

func preparedKey(txn string) string { return "p/" + txn }
func outcomeKey(txn string) string  { return "o/" + txn }

func newLedger(n *deadlock.Node) *ledger {
	return &ledger{n: n, prepared: map[string]*record{}, readOnly: map[string]bool{}}
}

// recover reloads the prepared records after a crash and takes their
// locks again, before anything else runs: the participant is still in
// doubt, and still bound by its vote. It returns them in the order they
// were prepared.
func (l *ledger) recover() []*record {
	st := l.n.Env().Store()
	if b, ok := st.Get(preparedIndex); ok {
		_ = json.Unmarshal(b, &l.index)
	}
	var out []*record
	for _, txn := range l.index {
		b, ok := st.Get(preparedKey(txn))
		if !ok {
			continue
		}
		r := new(record)
		if json.Unmarshal(b, r) != nil {
			continue
		}
		l.prepared[txn] = r
		l.n.Site().Relock(r.Owner, r.Locks)
		l.n.Env().CommitState(txn, history.TxnPrepared, "")
		out = append(out, r)
	}
	return out
}

// vote is a participant's answer to prepare. It votes no when it no longer
// holds the attempt's locks (it crashed since, or aborted the attempt on
// its own), read-only when it only read (its locks go now: the attempt
// has reached its lock point), and otherwise forces a prepared record to
// the log and votes yes. A repeated prepare gets the same vote.
func (l *ledger) vote(b prepareBody) string {
	if l.prepared[b.Txn] != nil {
		return yes
	}
	if o, ok := l.outcome(b.Txn); ok {
		if o == committed {
			return yes
		}
		return no
	}
	if l.readOnly[b.Txn] {
		return readOnly
	}
	site := l.n.Site()
	if !site.Holds(b.Txn, b.Locks) {
		site.Release(b.Txn)
		return no
	}
	if len(b.Writes) == 0 {
		site.Release(b.Txn)
		l.readOnly[b.Txn] = true
		return readOnly
	}
	r := &record{Txn: b.Txn, Owner: b.Owner, Writers: b.Writers, Locks: b.Locks, Writes: b.Writes, Acceptors: b.Acceptors, Instances: b.Instances}
	l.prepared[b.Txn] = r
	l.index = append(l.index, b.Txn)
	l.save(r)
	site.Protect(b.Txn)
	l.n.Env().CommitState(b.Txn, history.TxnPrepared, "")
	return yes
}

// save forces a prepared record (new, or in a new state) to the log.
func (l *ledger) save(r *record) {
	st := l.n.Env().Store()
	b, _ := json.Marshal(r)
	st.Put(preparedKey(r.Txn), b)
	l.putIndex()
	st.Sync()
}

func (l *ledger) putIndex() {
	b, _ := json.Marshal(l.index)
	l.n.Env().Store().Put(preparedIndex, b)
}

// commit installs a prepared attempt's writes and forces its commit record
// with them, then releases its locks. It reports false for an attempt not
// prepared here (already finished, or never prepared).
func (l *ledger) commit(txn string) bool {
	r := l.prepared[txn]
	if r == nil {
		return false
	}
	st := l.n.Env().Store()
	l.n.Site().Install(r.Writes)
	st.Put(outcomeKey(txn), []byte(committed))
	l.forget(txn)
	st.Sync()
	l.n.Site().Release(txn)
	l.n.Env().CommitState(txn, history.TxnCommitted, "")
	return true
}

// abort drops an attempt here: its locks go and the outcome is written
// for whoever asks, lazily unless force says otherwise. A prepared
// attempt's record goes too (unforced, after a crash the record is back,
// and asking finds the abort again, as presumed abort has it); an attempt
// that never voted is aborted unilaterally, which a participant may do
// until it votes.
func (l *ledger) abort(txn string, force bool) {
	st := l.n.Env().Store()
	if _, ok := l.outcome(txn); ok {
		return
	}
	st.Put(outcomeKey(txn), []byte(aborted))
	if l.prepared[txn] != nil {
		l.forget(txn)
		if force {
			st.Sync()
		}
	}
	l.n.Site().Release(txn)
	l.n.Env().CommitState(txn, history.TxnAborted, "")
}

func (l *ledger) forget(txn string) {
	delete(l.prepared, txn)
	l.index = slices.DeleteFunc(l.index, func(x string) bool { return x == txn })
	l.n.Env().Store().Delete(preparedKey(txn))
	l.putIndex()
}

// outcome is the outcome this participant applied for txn, if any.
func (l *ledger) outcome(txn string) (string, bool) {
	b, ok := l.n.Env().Store().Get(outcomeKey(txn))
	return string(b), ok
}

// know is what this participant can tell another about txn: the outcome
// it applied, uncertain while prepared, and otherwise abort, aborting the
// attempt here on its own if it holds its locks (it has not voted, so the
// coordinator cannot commit without it). ok is false for a read-only
// voter, which knows nothing.
func (l *ledger) know(txn string) (state string, ok bool) {
	if o, ok := l.outcome(txn); ok {
		return o, true
	}
	if l.prepared[txn] != nil {
		return uncertain, true
	}
	if l.readOnly[txn] {
		return "", false
	}
	l.abort(txn, false)
	return aborted, true
}
