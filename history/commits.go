package history

// CommitEvent is a node's report of what it knows of a transaction
// attempt's atomic commit (nodes.Env.CommitState): at Time (ns since the
// run started), Node entered State for attempt Txn. A coordinator reports
// when the commit protocol starts and what it decided; a participant when
// it votes to commit, when it finds itself blocked, and what it did in the
// end. The reports of one attempt from every node must agree on its fate:
// that is atomic commitment, which a single node cannot see.
type CommitEvent struct {
	Time  int64  `json:"time"`
	Node  string `json:"node"`
	Txn   string `json:"txn"`
	State string `json:"state"`
	Cause string `json:"cause,omitempty"` // why a coordinator aborted
}

// TxnDeciding is the phase (nodes.Env.SetPhase) a commit coordinator
// reports between holding every vote and logging or sending its decision.
const TxnDeciding = "deciding"

// Commit states.
const (
	// A coordinator's: the commit protocol starts, every lock held (for a
	// saga, the first step starts); and the decision. An abort's cause
	// names why: a lock conflict, a "no" vote, a timeout, ...
	TxnCommitting = "committing"
	TxnCommit     = "commit"
	TxnAbort      = "abort"
	// A participant's: it voted to commit and does not know the outcome,
	// its locks held (in doubt); it is in doubt and its termination
	// protocol found nobody who knows the outcome (blocked); and what it
	// did with its part in the end.
	TxnPrepared  = "prepared"
	TxnBlocked   = "blocked"
	TxnCommitted = "committed"
	TxnAborted   = "aborted"
)

// Decided reports whether state is a decision, a coordinator's or a
// participant's, and which: commit is true for a commit.
func Decided(state string) (decided, commit bool) {
	switch state {
	case TxnCommit, TxnCommitted:
		return true, true
	case TxnAbort, TxnAborted:
		return true, false
	}
	return false, false
}
