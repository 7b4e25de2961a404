package bank

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	checkbank "github.com/ddbbench/ddbbench/checkers/bank"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/workloads"
)

var (
	_ workloads.Workload        = (*Workload)(nil)
	_ workloads.Preparer        = (*Workload)(nil)
	_ workloads.FailureRecorder = (*Workload)(nil)
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		change func(*Config)
		words  string
	}{
		{func(c *Config) { c.Accounts = 1 }, "at least 2 accounts"},
		{func(c *Config) { c.Balance = -1 }, "opening balance"},
		{func(c *Config) { c.MaxTransfer = 0 }, "largest transfer"},
		{func(c *Config) { c.KeysPerTxn = 9 }, "touches 2 to 8 accounts"},
		{func(c *Config) { c.ReadShare = 1.5 }, "read share"},
		{func(c *Config) { c.Zipf = 0.5 }, "Zipf"},
	} {
		c := DefaultConfig()
		tc.change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("want an error about %q, got %v", tc.words, err)
		}
	}
	for _, l := range Levels {
		c, err := Level(l)
		if err != nil || c.Validate() != nil {
			t.Errorf("level %s: %v %v", l, err, c.Validate())
		}
	}
	if _, err := Level("extreme"); err == nil || !strings.Contains(err.Error(), "low, high") {
		t.Errorf("an unknown level names the valid ones: %v", err)
	}
}

// Transfers chain KeysPerTxn distinct accounts; reads come at the read
// share; the skew makes account 0 the hottest.
func TestGenerate(t *testing.T) {
	c := DefaultConfig()
	c.Accounts, c.KeysPerTxn, c.ReadShare, c.Zipf = 16, 4, 0.25, 1.5
	w := New(c)
	rng := rand.New(rand.NewPCG(1, 2))
	reads, hits := 0, make([]int, c.Accounts)
	const n = 4000
	for range n {
		op := w.Generate(rng)
		if op.F == "read" {
			reads++
			continue
		}
		legs := op.Value.([]maelstrom.Leg)
		if len(legs) != c.KeysPerTxn-1 {
			t.Fatalf("%d legs for %d accounts", len(legs), c.KeysPerTxn)
		}
		seen := []int{legs[0].From}
		for i, l := range legs {
			if i > 0 && l.From != legs[i-1].To {
				t.Fatalf("legs do not chain: %+v", legs)
			}
			if l.Amount < 1 || l.Amount > c.MaxTransfer {
				t.Fatalf("amount %d out of 1..%d", l.Amount, c.MaxTransfer)
			}
			if slices.Contains(seen, l.To) {
				t.Fatalf("an account twice in one transfer: %+v", legs)
			}
			seen = append(seen, l.To)
		}
		for _, a := range seen {
			hits[a]++
		}
	}
	if share := float64(reads) / n; share < 0.2 || share > 0.3 {
		t.Errorf("read share %.3f, want about 0.25", share)
	}
	if hits[0] < 3*hits[c.Accounts-1] {
		t.Errorf("Zipf skew: account 0 touched %d times, the last %d", hits[0], hits[c.Accounts-1])
	}
}

func TestProtocol(t *testing.T) {
	c := DefaultConfig()
	c.Accounts, c.Balance = 3, 10
	w := New(c)
	reqs := w.Prepare([]string{"n0", "n1"})
	if len(reqs) != 2 || reqs[1].Dest != "n1" || reqs[1].Type != "bank_init" {
		t.Fatalf("every node is told the accounts: %+v", reqs)
	}
	if b := reqs[0].Body.(maelstrom.BankInitBody); len(b.Balances) != 3 || b.Balances[2] != 10 || c.Total() != 30 {
		t.Fatalf("opening balances %v, total %d", b.Balances, c.Total())
	}
	if f := w.Final(); len(f) != 2 || f[0].F != "read" || f[1].Node != "n1" {
		t.Fatalf("final reads on every node: %+v", f)
	}

	read := &history.Op{F: "read"}
	reply := maelstrom.Msg{Type: "read_ok", Body: maelstrom.BankReadOKBody{Balances: map[int]int{0: 9, 1: 11, 2: 10},
		TxnReport: maelstrom.TxnReport{Aborts: []txn.Abort{{Attempt: "T#1", Cause: txn.Died}}}}}
	if err := w.Complete(read, reply); err != nil {
		t.Fatal(err)
	}
	r := read.Result.(checkbank.Result)
	if r.Balances[1] != 11 || len(Aborts(read)) != 1 || Aborts(read)[0].Cause != txn.Died {
		t.Fatalf("read result %+v", r)
	}
	if err := w.Complete(&history.Op{F: "read"}, maelstrom.Msg{Type: "read_ok", Body: struct{}{}}); err == nil {
		t.Fatal("a read_ok without balances does not fit the protocol")
	}
	if err := w.Complete(&history.Op{F: "transfer"}, maelstrom.Msg{Type: "read_ok", Body: struct{}{}}); err == nil {
		t.Fatal("a transfer answered read_ok does not fit the protocol")
	}

	failed := &history.Op{F: "transfer"}
	w.RecordFailure(failed, maelstrom.Msg{Type: "error", Body: maelstrom.TxnErrorBody{Code: maelstrom.TxnConflict,
		TxnReport: maelstrom.TxnReport{Aborts: []txn.Abort{{Attempt: "U#1", Cause: txn.Wounded}, {Attempt: "U#2", Cause: txn.Wounded}}}}})
	if len(Aborts(failed)) != 2 {
		t.Fatalf("a transaction given up on keeps its aborts: %+v", failed.Result)
	}
	typ, body := w.Request(&history.Op{F: "transfer", Value: []maelstrom.Leg{{From: 0, To: 1, Amount: 2}}})
	if typ != "transfer" || body.(maelstrom.TransferBody).Legs[0].Amount != 2 {
		t.Fatalf("transfer request %s %+v", typ, body)
	}
}
