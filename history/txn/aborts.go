package txn

// Abort is one attempt of a transaction that was aborted and restarted by
// its coordinator before the transaction's final outcome, as a node may
// report it in its reply (an optional "aborts" list): the attempt's name,
// as the node names it in its wait-for reports, and why it was aborted.
// Clients never see attempts otherwise; the transaction statistics count
// restarts and abort causes from these.
type Abort struct {
	Attempt string `json:"attempt"`
	Cause   string `json:"cause"`
	// At is when the coordinator aborted it, in seconds on the node's
	// clock (time since the run started, in the simulator). Optional; the
	// statistics need it to tell a phantom deadlock's victim.
	At float64 `json:"at,omitempty"`
}

// Abort causes the reference deadlock policies report. A node may report
// others; they are counted under their own names.
const (
	Died     = "died"    // wait-die: a younger requester dies rather than wait for an older holder
	Wounded  = "wounded" // wound-wait: an older requester aborts the younger holder
	TimedOut = "timeout" // waited longer than the lock timeout
	Victim   = "victim"  // chosen to break a deadlock a detector found
	// Phantom is not reported by nodes: the statistics give it to a
	// victim that, when it was aborted, was on no cycle of the true
	// wait-for graph among transactions not yet aborted (a deadlock seen
	// in stale edges, or one another abort had already broken): an abort
	// that was not needed.
	Phantom = "phantom"
)
