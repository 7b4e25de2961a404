package txn

// Body is the body of Maelstrom's txn request and of its txn_ok reply,
// header fields apart: {"txn": [[f, k, v], ...]}. Workloads send it and
// in-process nodes answer with it, so that the simulator passes
// transactions without encoding them.
type Body struct {
	Txn Txn `json:"txn"`
}
