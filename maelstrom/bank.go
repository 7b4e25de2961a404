package maelstrom

import "github.com/ddbbench/ddbbench/history/txn"

// Bodies of the bank workload (Jepsen's bank; Maelstrom has none): accounts
// are integers, balances integers. See docs/bank.md for the protocol.
//
//	{"type":"bank_init","balances":{"0":13,"1":12}}         -> {"type":"bank_init_ok"}
//	{"type":"transfer","legs":[{"from":0,"to":1,"amount":5}]} -> {"type":"transfer_ok"}
//	{"type":"read"}                                          -> {"type":"read_ok","balances":{"0":8,"1":17}}
//
// Error 22 (precondition-failed) answers a transfer that would take an
// account below zero; error 30 (txn-conflict) one the node gave up on.
type (
	BankInitBody struct {
		Balances map[int]int `json:"balances"`
	}
	// TransferBody moves each leg's amount, in order, as one transaction.
	TransferBody struct {
		Legs []Leg `json:"legs"`
	}
	Leg struct {
		From   int `json:"from"`
		To     int `json:"to"`
		Amount int `json:"amount"`
	}
	BankReadOKBody struct {
		Balances map[int]int `json:"balances"`
		TxnReport
	}
	// TxnReport is what a transactional node may add to any reply (also
	// to an error): the attempts it aborted and restarted before this
	// outcome. It is optional; the transaction statistics use it.
	TxnReport struct {
		Aborts []txn.Abort `json:"aborts,omitempty"`
	}
	// TxnErrorBody is an error with the report: the aborts behind a
	// transaction the node gave up on.
	TxnErrorBody struct {
		Code int    `json:"code"`
		Text string `json:"text,omitempty"`
		TxnReport
	}
)
