package deadlock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// program is a transaction's work: the locks it takes, in order, and what
// it does with the values once it holds them all: the writes to apply and
// the reply, or an error that ends it without effect.
type program struct {
	locks     []lockStep
	run       func(values map[string]json.RawMessage) (writes map[string]json.RawMessage, reply func(maelstrom.TxnReport) any, err *maelstrom.RPCError)
	replyType string
}

type lockStep struct {
	key  string
	mode Mode
}

// accountsKey holds the bank's account list in the durable store.
const accountsKey = "bank/accounts"

// bankInit stores the opening balances of the accounts this node owns and
// remembers every account, for reads. A balance already there is kept: the
// workload sends this once, and a repeat must not undo transfers.
func (c *Coordinator) bankInit(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[maelstrom.BankInitBody](msg)
	if err != nil {
		c.n.env.ReplyError(msg, maelstrom.MalformedRequest, "bank_init: "+err.Error())
		return
	}
	st := c.n.env.Store()
	accounts := make([]int, 0, len(b.Balances))
	for a := range b.Balances {
		accounts = append(accounts, a)
	}
	slices.Sort(accounts)
	for _, a := range accounts {
		k := strconv.Itoa(a)
		if _, ok := st.Get(dataKey(k)); !ok && c.n.siteOf(k) == c.n.self {
			st.Put(dataKey(k), []byte(strconv.Itoa(b.Balances[a])))
		}
	}
	list, _ := json.Marshal(accounts)
	st.Put(accountsKey, list)
	st.Sync()
	c.accounts = accounts
	c.n.env.Reply(msg, "bank_init_ok", struct{}{})
}

// bankAccounts are the accounts, from bank_init or, after a restart, the
// store.
func (c *Coordinator) bankAccounts() []int {
	if c.accounts == nil {
		if b, ok := c.n.env.Store().Get(accountsKey); ok {
			_ = json.Unmarshal(b, &c.accounts)
		}
	}
	return c.accounts
}

// bankRead reads every balance under shared locks, taken in a random order:
// like an application that touches its keys in no agreed order, it can
// close a cycle with a transfer that locks the same accounts the other way
// round. It asks each site once for all the accounts it holds.
func (c *Coordinator) bankRead(msg maelstrom.Msg) {
	accounts := c.bankAccounts()
	if len(accounts) == 0 {
		c.n.env.ReplyError(msg, maelstrom.TemporarilyUnavailable, "no accounts yet: bank_init has not reached this node")
		return
	}
	// Sites in a random order, and each site's accounts in a random order
	// in one request to it.
	p := program{replyType: "read_ok"}
	var sites []string
	bySite := map[string][]string{}
	for _, i := range c.n.env.Rand().Perm(len(accounts)) {
		k := strconv.Itoa(accounts[i])
		site := c.n.siteOf(k)
		if bySite[site] == nil {
			sites = append(sites, site)
		}
		bySite[site] = append(bySite[site], k)
	}
	for _, site := range sites {
		for _, k := range bySite[site] {
			p.locks = append(p.locks, lockStep{key: k, mode: Shared})
		}
	}
	p.run = func(values map[string]json.RawMessage) (map[string]json.RawMessage, func(maelstrom.TxnReport) any, *maelstrom.RPCError) {
		balances := map[int]int{}
		for _, a := range accounts {
			var b *int
			if json.Unmarshal(values[strconv.Itoa(a)], &b) == nil && b != nil {
				balances[a] = *b
			}
		}
		return nil, func(r maelstrom.TxnReport) any { return maelstrom.BankReadOKBody{Balances: balances, TxnReport: r} }, nil
	}
	c.begin(msg, p)
}

// transfer moves each leg's amount under exclusive locks, taken in the
// order the legs name the accounts. A leg that would take an account below
// zero refuses the whole transfer.
func (c *Coordinator) transfer(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[maelstrom.TransferBody](msg)
	if err == nil && len(b.Legs) == 0 {
		err = fmt.Errorf("no legs")
	}
	if err != nil {
		c.n.env.ReplyError(msg, maelstrom.MalformedRequest, "transfer: "+err.Error())
		return
	}
	var touched []int
	for _, l := range b.Legs {
		for _, a := range []int{l.From, l.To} {
			if !slices.Contains(touched, a) {
				touched = append(touched, a)
			}
		}
	}
	p := program{replyType: "transfer_ok"}
	for _, a := range touched {
		p.locks = append(p.locks, lockStep{key: strconv.Itoa(a), mode: Exclusive})
	}
	p.run = func(values map[string]json.RawMessage) (map[string]json.RawMessage, func(maelstrom.TxnReport) any, *maelstrom.RPCError) {
		bal := map[int]int{}
		for _, a := range touched {
			var v int
			_ = json.Unmarshal(values[strconv.Itoa(a)], &v) // null: an account with nothing
			bal[a] = v
		}
		for _, l := range b.Legs {
			if bal[l.From] < l.Amount {
				return nil, nil, maelstrom.NewRPCError(maelstrom.PreconditionFailed,
					fmt.Sprintf("account %d holds %d, less than the %d to move", l.From, bal[l.From], l.Amount))
			}
			bal[l.From] -= l.Amount
			bal[l.To] += l.Amount
		}
		writes := map[string]json.RawMessage{}
		for _, a := range touched {
			writes[strconv.Itoa(a)] = json.RawMessage(strconv.Itoa(bal[a]))
		}
		return writes, func(r maelstrom.TxnReport) any { return r }, nil
	}
	c.begin(msg, p)
}

// txn serves Maelstrom's txn message, for the txn-rw-register and
// txn-list-append workloads: micro-operations [f, k, v] applied in order.
// Each key is locked once, at its first micro-operation, exclusively if
// the transaction writes or appends to it anywhere (so no lock is ever
// upgraded); reads see the transaction's own earlier writes.
func (c *Coordinator) txn(msg maelstrom.Msg) {
	b, err := maelstrom.Decode[txn.Body](msg)
	if err != nil {
		c.n.env.ReplyError(msg, maelstrom.MalformedRequest, "txn: "+err.Error())
		return
	}
	p := program{replyType: "txn_ok"}
	index := map[string]int{}
	for _, m := range b.Txn {
		switch m.F {
		case txn.Read, txn.Write, txn.Append:
		default:
			c.n.env.ReplyError(msg, maelstrom.MalformedRequest, fmt.Sprintf("txn: unknown micro-operation %q", m.F))
			return
		}
		k := strconv.Itoa(m.Key)
		i, seen := index[k]
		if !seen {
			i = len(p.locks)
			index[k] = i
			p.locks = append(p.locks, lockStep{key: k, mode: Shared})
		}
		if m.F != txn.Read {
			p.locks[i].mode = Exclusive
		}
	}
	mops := b.Txn
	p.run = func(values map[string]json.RawMessage) (map[string]json.RawMessage, func(maelstrom.TxnReport) any, *maelstrom.RPCError) {
		out := make(txn.Txn, len(mops))
		writes := map[string]json.RawMessage{}
		for i, m := range mops {
			k := strconv.Itoa(m.Key)
			out[i] = m
			switch m.F {
			case txn.Read:
				v, err := plain(values[k])
				if err != nil {
					return nil, nil, maelstrom.NewRPCError(maelstrom.Crash, fmt.Sprintf("key %d holds %s: %v", m.Key, values[k], err))
				}
				out[i].Value = v
			case txn.Write:
				values[k], _ = json.Marshal(m.Value)
				writes[k] = values[k]
			case txn.Append:
				var list []any
				_ = json.Unmarshal(values[k], &list) // null: the empty list
				values[k], _ = json.Marshal(append(list, m.Value))
				writes[k] = values[k]
			}
		}
		// Maelstrom's txn_ok has no field for the aborted attempts.
		return writes, func(maelstrom.TxnReport) any { return txn.Body{Txn: out} }, nil
	}
	c.begin(msg, p)
}

// plain decodes a stored value into the forms micro-operations carry: nil,
// an int, or a list of ints.
func plain(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		list := make([]int, len(x))
		for i, e := range x {
			n, err := txn.Int(e)
			if err != nil {
				return nil, err
			}
			list[i] = n
		}
		return list, nil
	}
	return txn.Int(v)
}
