package reports

// RunConfig is a run's configuration as results.json and matrix.json record
// it: every key snake_case, every duration a number with its unit in the key
// (time_limit_s, latency_ms), settings that do not apply to the run's
// workload or runtime left out.
type RunConfig struct {
	Node        string   `json:"node,omitempty"` // reference strategy; absent for a --bin run
	Bin         []string `json:"bin,omitempty"`  // node binary and its arguments (a process run)
	Workload    string   `json:"workload"`
	NodeCount   int      `json:"node_count"`
	TimeLimitS  float64  `json:"time_limit_s"`
	Rate        float64  `json:"rate"`        // operations per second across all clients
	Concurrency int      `json:"concurrency"` // clients
	LatencyMS   float64  `json:"latency_ms"`  // mean latency between nodes
	LatencyDist string   `json:"latency_dist"`
	Loss        float64  `json:"loss"` // probability a message between nodes is lost
	Dup         float64  `json:"dup"`  // probability it is delivered twice

	Nemesis          []string `json:"nemesis"` // empty: none
	NemesisIntervalS float64  `json:"nemesis_interval_s"`
	LoseUnsynced     bool     `json:"lose_unsynced"`

	Seed          int64   `json:"seed"`
	OpTimeoutS    float64 `json:"op_timeout_s"`
	RecoveryS     float64 `json:"recovery_s"`
	CheckTimeoutS float64 `json:"check_timeout_s"`
	InitTimeoutS  float64 `json:"init_timeout_s,omitempty"` // a process run: how long a node may take to answer init

	Register           *RegisterConfig `json:"register,omitempty"`             // register and lin-kv
	Topology           string          `json:"topology,omitempty"`             // broadcast
	KafkaStrictCommits bool            `json:"kafka_strict_commits,omitempty"` // kafka
	Txn                *TxnConfig      `json:"txn,omitempty"`                  // txn-list-append, txn-rw-register
	Bank               *BankConfig     `json:"bank,omitempty"`                 // bank
	Lock               *LockConfig     `json:"lock,omitempty"`                 // lock
	Availability       *Availability   `json:"availability,omitempty"`         // set when availability is checked
}

// RegisterConfig is the register workload's shape of load.
type RegisterConfig struct {
	Keys        int `json:"keys"`          // keys in use at once
	PerKeyLimit int `json:"per_key_limit"` // operations on a key before it is retired (0: never)
	// ClientsPerKey is how many clients share a key (0: all); ProcessLimit
	// retires a key once that many processes worked on it (0: never).
	ClientsPerKey int         `json:"clients_per_key"`
	ProcessLimit  int         `json:"process_limit"`
	Mix           RegisterMix `json:"mix"`
	Zipf          bool        `json:"zipf"` // keys chosen with a Zipf distribution rather than uniformly
	FinalReads    bool        `json:"final_reads"`
}

// RegisterMix is the weights of the register's operations.
type RegisterMix struct {
	Read  int `json:"read"`
	Write int `json:"write"`
	CAS   int `json:"cas"`
}

// Availability is the --availability requirement: a fraction of
// operations that must succeed, or every one (total).
type Availability struct {
	Fraction float64 `json:"fraction"`
	Total    bool    `json:"total"`
}

// TxnConfig is the transactional workloads' shape of load and the models
// their histories are checked against.
type TxnConfig struct {
	Keys            int      `json:"key_count"` // keys in use at once
	MinTxnLength    int      `json:"min_txn_length"`
	MaxTxnLength    int      `json:"max_txn_length"`
	MaxWritesPerKey int      `json:"max_writes_per_key"`
	Models          []string `json:"consistency_models"`
	FinalReads      bool     `json:"final_reads"`
}

// BankConfig is the bank workload's shape of load (docs/bank.md).
type BankConfig struct {
	Accounts    int     `json:"accounts"`
	Balance     int     `json:"balance"` // every account's opening balance
	MaxTransfer int     `json:"max_transfer"`
	KeysPerTxn  int     `json:"keys_per_txn"` // accounts a transfer touches
	ReadShare   float64 `json:"read_share"`   // fraction of operations reading every balance
	Zipf        float64 `json:"zipf"`         // 0: accounts chosen uniformly; else the Zipf exponent
	NegativeOK  bool    `json:"negative_ok"`
	// Contention is the named level the shape came from (low, high), if
	// any.
	Contention string `json:"contention,omitempty"`
}

// LockConfig is the lock workload's shape of load (docs/locking.md).
type LockConfig struct {
	Locks        int     `json:"locks"`          // lock names in use at once
	PerLockLimit int     `json:"per_lock_limit"` // acquisitions of a name before it is retired (0: never)
	Zipf         bool    `json:"zipf"`           // names chosen with a Zipf distribution rather than uniformly
	HoldMS       float64 `json:"hold_ms"`        // a holder's work between reading and writing the resource
	TTLMS        float64 `json:"ttl_ms"`         // the lease the clients ask for (0: none)
	// Fencing says the protected resource refused stale fencing tokens.
	Fencing   bool    `json:"fencing"`
	PatienceS float64 `json:"patience_s"` // how long a refused client keeps asking
}
