package maelstrom

// Bodies of the lock workload (docs/locking.md has the schema and its
// rules for people writing lock services in other languages).
//
// A client asks a node for a lock by name, on behalf of an owner: the
// client's name for this one acquisition, unique in the run. Asking again
// with the same owner while it holds the lock must answer acquire_ok with
// the same token, which is how a client that timed out learns whether it
// got the lock. A refusal is error LockHeld (1000); a release by a client
// that does not hold the lock with that token is error NotLockHolder (1001).
type (
	AcquireBody struct {
		Lock   string `json:"lock"`
		Client string `json:"client"` // the owner
		// TTLMS is the lease the client asks for, in ms. Services that
		// grant leases answer ExpiresMS; the others ignore it.
		TTLMS int64 `json:"ttl_ms,omitempty"`
	}
	AcquireOKBody struct {
		// Token names the grant; release repeats it. A fencing service's
		// tokens grow with every grant of the lock.
		Token int64 `json:"token"`
		// ExpiresMS is how long the lease lasts, in ms, counted by the
		// client from when it sent the acquire (the service's own count
		// started later). Absent (0): the lock is held until released.
		ExpiresMS int64 `json:"expires_ms,omitempty"`
		// GrantedBy names the node whose lock table granted the lock, when
		// there is one (primary copy spreads the locks over the nodes).
		GrantedBy string `json:"granted_by,omitempty"`
	}
	ReleaseBody struct {
		Lock   string `json:"lock"`
		Client string `json:"client"`
		Token  int64  `json:"token"`
	}
)

// ResourceID is the node id of the protected resource: the service the lock
// workload's clients read and write while they hold a lock. Nodes never
// talk to it; its bodies are here beside the lock's because a history's
// critical sections are made of them.
const ResourceID = "resource"

// Bodies of the protected resource: one integer register per key (the lock
// name), 0 until written. Every access that carries a token is fenced when
// the resource runs in fencing mode: an access with a token lower than the
// highest the key has seen is refused with StaleToken (1002). A read
// without a token is an observer's (the final reads) and is never refused.
type (
	ResourceReadBody struct {
		Key   string `json:"key"`
		Token *int64 `json:"token,omitempty"`
	}
	ResourceWriteBody struct {
		Key   string `json:"key"`
		Token int64  `json:"token"`
		Value int64  `json:"value"`
	}
	// ResourceOKBody answers both: Value is what a read found (a write's
	// is what it stored), Seq numbers the key's accesses in the order the
	// resource served them, and AtNS is when, in ns since the run started.
	ResourceOKBody struct {
		Value int64 `json:"value"`
		Seq   int64 `json:"seq"`
		AtNS  int64 `json:"at_ns"`
	}
)
