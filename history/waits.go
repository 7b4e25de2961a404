package history

// Wait is a node's report that a transaction waits for others, as nodes
// make it through their environment (nodes.Env.WaitsFor): at Time (ns since
// the run started), transaction Txn waits at Node for the transactions in
// Holders to release a lock. Empty Holders end the wait. Each report
// replaces the node's previous one for the same transaction, and a crash
// ends every wait at the crashed node. The union over the nodes is the
// global wait-for graph that no single node sees.
type Wait struct {
	Time    int64    `json:"time"`
	Node    string   `json:"node"`
	Txn     string   `json:"txn"`
	Holders []string `json:"holders,omitempty"`
}
