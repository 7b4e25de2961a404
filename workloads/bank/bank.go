// Package bank is Jepsen's bank workload over a transactional store:
// accounts holding integer balances, transfers between them, and reads of
// every balance at once. Whatever the store does, the total never changes
// and, unless the store allows it, no balance goes below zero; a read that
// sees another total has seen a transfer half done, which only a
// non-serializable execution shows (Jepsen's jepsen.tests.bank).
//
// Before the load every node is told the accounts and their opening
// balances; clients then transfer and read at any node; after the cluster
// heals and recovers, every node reads once more, and those final reads must
// agree. The wire protocol (bodies in package maelstrom, described in
// docs/bank.md):
//
//	{"type":"bank_init","balances":{"0":13,"1":12,...}}           -> {"type":"bank_init_ok"}
//	{"type":"transfer","legs":[{"from":3,"to":5,"amount":2}]}     -> {"type":"transfer_ok"}
//	{"type":"read"}                                               -> {"type":"read_ok","balances":{"0":13,...}}
//
// A transfer's legs are applied in order, as one transaction; with the
// default two accounts per transfer there is one leg, Jepsen's
// {from, to, amount}. Error 22 (precondition-failed) is a transfer refused
// for want of funds, error 30 (txn-conflict) one the store gave up on: both
// definite. Replies may carry an "aborts" list (maelstrom.TxnReport) of the
// attempts the store aborted and retried, which the transaction statistics
// count.
//
// Contention has three knobs: the number of accounts (fewer: more
// conflicts), the accounts a transfer touches, and Zipf skew of the account
// choice (a few hot accounts). Reads touch every account, so the share of
// reads is a fourth.
package bank

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/bank"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

// Config shapes the load.
type Config struct {
	Accounts    int `json:"accounts"`
	Balance     int `json:"balance"`      // every account's opening balance
	MaxTransfer int `json:"max_transfer"` // a leg moves 1..MaxTransfer
	// KeysPerTxn is how many distinct accounts a transfer touches: 2 is
	// one leg from one account to another, k is a chain of k-1 legs.
	KeysPerTxn int `json:"keys_per_txn"`
	// ReadShare is the fraction of operations that read every balance.
	ReadShare float64 `json:"read_share"`
	// Zipf is the skew of the account choice: 0 is uniform, a value above
	// 1 is the exponent of a Zipf distribution over the accounts.
	Zipf float64 `json:"zipf,omitempty"`
	// NegativeOK lets balances go below zero (Jepsen's
	// negative-balances?); by default such a transfer is refused.
	NegativeOK bool `json:"negative_ok,omitempty"`
}

// DefaultConfig is Jepsen's bank shape (8 accounts, transfers of up to 5,
// half reads), which is also the high contention level: every read locks
// every account, so transfers and reads conflict all the time. Accounts
// open with 100 each (Jepsen's total is 100 in all), so that few transfers
// are refused for want of funds and nearly every transaction is a real
// transfer.
func DefaultConfig() Config {
	return Config{Accounts: 8, Balance: 100, MaxTransfer: 5, KeysPerTxn: 2, ReadShare: 0.5}
}

// Levels are the named contention levels the deadlock suite compares.
var Levels = []string{"low", "high"}

// Level returns a named contention level: "high" is DefaultConfig; "low"
// spreads transfers over four times the accounts and reads every balance
// once in a hundred operations, not every other one.
func Level(name string) (Config, error) {
	c := DefaultConfig()
	switch name {
	case "high":
	case "low":
		c.Accounts, c.ReadShare = 32, 0.01
	default:
		return c, fmt.Errorf("bank: unknown contention level %q (valid: %s)", name, strings.Join(Levels, ", "))
	}
	return c, nil
}

// Validate reports a config that cannot generate load.
func (c Config) Validate() error {
	switch {
	case c.Accounts < 2:
		return fmt.Errorf("bank: at least 2 accounts are needed, got %d", c.Accounts)
	case c.Balance < 0:
		return fmt.Errorf("bank: the opening balance must not be negative, got %d", c.Balance)
	case c.MaxTransfer < 1:
		return fmt.Errorf("bank: the largest transfer must be at least 1, got %d", c.MaxTransfer)
	case c.KeysPerTxn < 2 || c.KeysPerTxn > c.Accounts:
		return fmt.Errorf("bank: a transfer touches 2 to %d accounts (the account count), got %d", c.Accounts, c.KeysPerTxn)
	case c.ReadShare < 0 || c.ReadShare > 1:
		return fmt.Errorf("bank: the read share is a fraction in [0, 1], got %v", c.ReadShare)
	case c.Zipf != 0 && c.Zipf <= 1:
		return fmt.Errorf("bank: Zipf skew is 0 (uniform) or an exponent above 1, got %v", c.Zipf)
	}
	return nil
}

// Total is the sum of the opening balances, which every read must see.
func (c Config) Total() int { return c.Accounts * c.Balance }

// Opening is the opening balance of every account.
func (c Config) Opening() map[int]int {
	b := make(map[int]int, c.Accounts)
	for a := range c.Accounts {
		b[a] = c.Balance
	}
	return b
}

// Checkers are the checkers that judge this workload's history: the bank
// invariant. Serializability beyond it needs a transactional checker over
// the txn workloads.
func Checkers(c Config) []checkers.Checker {
	return []checkers.Checker{bank.New(bank.Options{Accounts: c.Accounts, Total: c.Total(), NegativeOK: c.NegativeOK})}
}

// Workload generates bank operations.
type Workload struct {
	cfg   Config
	zipf  *rand.Zipf
	nodes []string
}

// New returns the workload; cfg must be valid.
func New(cfg Config) *Workload { return &Workload{cfg: cfg} }

// Name implements workloads.Workload.
func (w *Workload) Name() string { return "bank" }

// Prepare implements workloads.Preparer: every node learns the accounts and
// their opening balances (and keeps those it owns; the workload does not
// know how a store places them).
func (w *Workload) Prepare(nodes []string) []workloads.Request {
	w.nodes = slices.Clone(nodes)
	reqs := make([]workloads.Request, len(nodes))
	for i, n := range nodes {
		reqs[i] = workloads.Request{Dest: n, Type: "bank_init", Body: maelstrom.BankInitBody{Balances: w.cfg.Opening()}}
	}
	return reqs
}

// account draws an account, uniformly or with the configured skew.
func (w *Workload) account(rng *rand.Rand) int {
	if w.cfg.Zipf == 0 {
		return rng.IntN(w.cfg.Accounts)
	}
	if w.zipf == nil {
		w.zipf = rand.NewZipf(rng, w.cfg.Zipf, 1, uint64(w.cfg.Accounts-1))
	}
	return int(w.zipf.Uint64())
}

// Generate implements workloads.Workload: a read of every balance, or a
// transfer along KeysPerTxn distinct accounts in the order drawn.
func (w *Workload) Generate(rng *rand.Rand) *history.Op {
	if rng.Float64() < w.cfg.ReadShare {
		return &history.Op{F: "read"}
	}
	accounts := make([]int, 0, w.cfg.KeysPerTxn)
	for len(accounts) < w.cfg.KeysPerTxn {
		a := w.account(rng)
		if slices.Contains(accounts, a) {
			// A steep skew draws the hottest accounts again and again;
			// past a few tries take the next free account instead.
			if rng.IntN(8) != 0 {
				continue
			}
			for slices.Contains(accounts, a) {
				a = (a + 1) % w.cfg.Accounts
			}
		}
		accounts = append(accounts, a)
	}
	legs := make([]maelstrom.Leg, len(accounts)-1)
	for i := range legs {
		legs[i] = maelstrom.Leg{From: accounts[i], To: accounts[i+1], Amount: 1 + rng.IntN(w.cfg.MaxTransfer)}
	}
	return &history.Op{F: "transfer", Value: legs}
}

// Final is one read on every node (op.Node names it), after recovery.
func (w *Workload) Final() []*history.Op { return workloads.ReadsOnEveryNode(w.nodes) }

// Request implements workloads.Workload.
func (w *Workload) Request(op *history.Op) (string, any) {
	if op.F == "transfer" {
		return "transfer", maelstrom.TransferBody{Legs: op.Value.([]maelstrom.Leg)}
	}
	return "read", struct{}{}
}

// Complete implements workloads.Workload: a read's result is its balances;
// any reply's aborted attempts are kept beside it.
func (w *Workload) Complete(op *history.Op, resp maelstrom.Msg) error {
	if err := workloads.ExpectReply(op, resp); err != nil {
		return err
	}
	body, err := maelstrom.Decode[maelstrom.BankReadOKBody](resp)
	if err != nil {
		return err
	}
	if op.F == "read" && body.Balances == nil {
		return fmt.Errorf("read_ok has no \"balances\" object")
	}
	res := bank.Result{Aborts: body.Aborts}
	if op.F == "read" {
		res.Balances = body.Balances
	}
	op.Result = res
	return nil
}

// RecordFailure implements workloads.FailureRecorder: a transaction the
// store gave up on may say which attempts it aborted.
func (w *Workload) RecordFailure(op *history.Op, resp maelstrom.Msg) {
	if body, err := maelstrom.Decode[maelstrom.TxnErrorBody](resp); err == nil && len(body.Aborts) > 0 {
		op.Result = bank.Result{Aborts: body.Aborts}
	}
}

// ErrorIsResult implements workloads.Workload: a refused transfer is a
// definite failure, as in Jepsen.
func (w *Workload) ErrorIsResult(*history.Op, int) bool { return false }

// Aborts returns the attempts an operation's store aborted before its
// outcome, for the transaction statistics.
func Aborts(op *history.Op) []txn.Abort {
	r, err := bank.ParseResult(op.Result)
	if err != nil {
		return nil
	}
	return r.Aborts
}
