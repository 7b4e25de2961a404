package commit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// How a saga node cuts a client's request into steps, one per site.

// txn serves Maelstrom's txn: the micro-operations of each site form one
// step, the sites taken in the order the transaction first touches them.
// A key lives at one site, so each read still sees the transaction's own
// earlier writes to it.
func (s *SagaNode) txn(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[txn.Body](msg)
	if err != nil {
		s.env.ReplyError(msg, maelstrom.MalformedRequest, "txn: "+err.Error())
		return
	}
	var steps []step
	for i, m := range b.Txn {
		if m.F != txn.Read && m.F != txn.Write && m.F != txn.Append {
			s.env.ReplyError(msg, maelstrom.MalformedRequest, fmt.Sprintf("txn: unknown micro-operation %q", m.F))
			return
		}
		k := strconv.Itoa(m.Key)
		op := sagaOp{F: m.F, Key: k, Pos: i}
		if m.F != txn.Read {
			op.Value, _ = json.Marshal(m.Value)
		}
		site := s.siteOf(k)
		j := slices.IndexFunc(steps, func(st step) bool { return st.Site == site })
		if j < 0 {
			steps = append(steps, step{Site: site})
			j = len(steps) - 1
		}
		steps[j].Ops = append(steps[j].Ops, op)
	}
	mops := b.Txn
	s.begin(steps, len(mops), func(results []json.RawMessage) {
		out := make(txn.Txn, len(mops))
		for i, m := range mops {
			out[i] = m
			if m.F == txn.Read {
				v, err := deadlock.Plain(results[i])
				if err != nil {
					s.env.ReplyError(msg, maelstrom.Crash, fmt.Sprintf("key %d holds %s: %v", m.Key, results[i], err))
					return
				}
				out[i].Value = v
			}
		}
		s.env.Reply(msg, "txn_ok", txn.Body{Txn: out})
	}, s.failer(msg))
}

// failer answers a saga that was compensated with a definite error: in
// the end it had no effect.
func (s *SagaNode) failer(msg maelstrom.Msg) func(int, string) {
	return func(code int, text string) { s.env.ReplyError(msg, code, text) }
}

// transfer is a saga of debits and credits: for each leg, the debit at
// the payer's site (refused if it would overdraw: the saga is compensated)
// and then the credit at the payee's, one step when both live at one site.
func (s *SagaNode) transfer(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[maelstrom.TransferBody](msg)
	if err == nil && len(b.Legs) == 0 {
		err = fmt.Errorf("no legs")
	}
	if err != nil {
		s.env.ReplyError(msg, maelstrom.MalformedRequest, "transfer: "+err.Error())
		return
	}
	var steps []step
	add := func(account, amount int) {
		k := strconv.Itoa(account)
		op := sagaOp{F: "add", Key: k, Value: json.RawMessage(strconv.Itoa(amount))}
		site := s.siteOf(k)
		if n := len(steps); n > 0 && steps[n-1].Site == site {
			steps[n-1].Ops = append(steps[n-1].Ops, op)
			return
		}
		steps = append(steps, step{Site: site, Ops: []sagaOp{op}})
	}
	for _, l := range b.Legs {
		add(l.From, -l.Amount)
		add(l.To, l.Amount)
	}
	s.begin(steps, 1, func([]json.RawMessage) { s.env.Reply(msg, "transfer_ok", maelstrom.TxnReport{}) }, s.failer(msg))
}

// bankRead reads every balance, one step per site.
func (s *SagaNode) bankRead(msg maelstrom.Msg) {
	accounts := s.bankAccounts()
	if len(accounts) == 0 {
		s.env.ReplyError(msg, maelstrom.TemporarilyUnavailable, "no accounts yet: bank_init has not reached this node")
		return
	}
	var steps []step
	for i, a := range accounts {
		k := strconv.Itoa(a)
		site := s.siteOf(k)
		j := slices.IndexFunc(steps, func(st step) bool { return st.Site == site })
		if j < 0 {
			steps = append(steps, step{Site: site})
			j = len(steps) - 1
		}
		steps[j].Ops = append(steps[j].Ops, sagaOp{F: "r", Key: k, Pos: i})
	}
	s.begin(steps, len(accounts), func(results []json.RawMessage) {
		balances := map[int]int{}
		for i, a := range accounts {
			var v *int
			if json.Unmarshal(results[i], &v) == nil && v != nil {
				balances[a] = *v
			}
		}
		s.env.Reply(msg, "read_ok", maelstrom.BankReadOKBody{Balances: balances})
	}, s.failer(msg))
}

// accountsKey holds the bank's account list in the durable store.
const accountsKey = "bank/accounts"

// bankInit stores the opening balances of the accounts this node owns,
// unless already there, and remembers every account.
func (s *SagaNode) bankInit(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[maelstrom.BankInitBody](msg)
	if err != nil {
		s.env.ReplyError(msg, maelstrom.MalformedRequest, "bank_init: "+err.Error())
		return
	}
	st := s.env.Store()
	accounts := slices.Sorted(maps.Keys(b.Balances))
	for _, a := range accounts {
		k := strconv.Itoa(a)
		if _, ok := st.Get(valueKey(k)); !ok && s.siteOf(k) == s.self {
			st.Put(valueKey(k), []byte(strconv.Itoa(b.Balances[a])))
		}
	}
	list, _ := json.Marshal(accounts)
	st.Put(accountsKey, list)
	st.Sync()
	s.accounts = accounts
	s.env.Reply(msg, "bank_init_ok", struct{}{})
}

func (s *SagaNode) bankAccounts() []int {
	if s.accounts == nil {
		if b, ok := s.env.Store().Get(accountsKey); ok {
			_ = json.Unmarshal(b, &s.accounts)
		}
	}
	return s.accounts
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.SortedFunc(maps.Keys(m), cmp.Compare[string])
}
