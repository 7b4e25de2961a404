package maelstrom

// Bodies of Maelstrom's lin-kv workload, which the register workload and the
// reference replication nodes speak: integer keys and values. Error 20
// (key-does-not-exist) answers a read or cas of a missing key; error 22
// (precondition-failed) a cas whose from does not match.
type (
	ReadBody struct {
		Key int `json:"key"`
	}
	ReadOKBody struct {
		Value int `json:"value"`
	}
	WriteBody struct {
		Key   int `json:"key"`
		Value int `json:"value"`
	}
	CASBody struct {
		Key  int `json:"key"`
		From int `json:"from"`
		To   int `json:"to"`
	}
)
