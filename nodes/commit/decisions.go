package commit

import (
	"encoding/json"
	"slices"

	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// decisions is a coordinator's log of the commits it decided and has not
// yet seen acknowledged by every participant: the commit record is forced
// before anyone hears of the commit, and dropped (lazily: an end record)
// once all have acknowledged. Aborts are not logged (presumed abort): a
// coordinator with no record of an attempt answers abort.
type decisions struct {
	n     *deadlock.Node
	index []string
}

const decisionIndex = "decisions"

func decisionKey(txn string) string { return "d/" + txn }

// decision is a commit record: the participants still to tell, and, for
// three-phase commit, whether it is a pre-commit.
type decision struct {
	Writers   []string `json:"writers"`
	PreCommit bool     `json:"pre_commit,omitempty"`
}

// load reads the records a crash left, in the order they were written.
func (d *decisions) load() map[string]decision {
	st := d.n.Env().Store()
	if b, ok := st.Get(decisionIndex); ok {
		_ = json.Unmarshal(b, &d.index)
	}
	out := map[string]decision{}
	for _, txn := range d.index {
		if rec, ok := d.get(txn); ok {
			out[txn] = rec
		}
	}
	return out
}

func (d *decisions) get(txn string) (decision, bool) {
	b, ok := d.n.Env().Store().Get(decisionKey(txn))
	if !ok {
		return decision{}, false
	}
	var rec decision
	return rec, json.Unmarshal(b, &rec) == nil
}

// force writes a record and syncs it: the forced log write.
func (d *decisions) force(txn string, rec decision) {
	st := d.n.Env().Store()
	if !slices.Contains(d.index, txn) {
		d.index = append(d.index, txn)
	}
	b, _ := json.Marshal(rec)
	st.Put(decisionKey(txn), b)
	d.putIndex()
	st.Sync()
}

// end drops a record, unforced.
func (d *decisions) end(txn string) {
	d.index = slices.DeleteFunc(d.index, func(x string) bool { return x == txn })
	d.n.Env().Store().Delete(decisionKey(txn))
	d.putIndex()
}

func (d *decisions) putIndex() {
	b, _ := json.Marshal(d.index)
	d.n.Env().Store().Put(decisionIndex, b)
}

// sendCommits sends COMMIT to the writers, each until it acknowledges,
// then ends the commit record: every participant has it now.
func (d *decisions) sendCommits(txn string, writers []string, commitAt func(string, decisionBody, func(ackBody))) {
	left := len(writers)
	for _, site := range writers {
		acked := false
		call(d.n, site, "commit", decisionBody{Txn: txn, Commit: true}, commitAt, func() bool { return !acked }, func(ackBody) {
			if !acked {
				acked = true
				if left--; left == 0 {
					d.end(txn)
				}
			}
		})
	}
}
