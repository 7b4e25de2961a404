package elle

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
)

// genConfig shapes a generated history: transactions drawn as Elle's
// generators (elle.txn/wr-txns) draw them, run by a simulated store that
// executes each one atomically at an instant between its invocation and
// its completion, so the history is strict serializable by construction.
type genConfig struct {
	workload       string
	txns           int
	concurrency    int     // clients running at once; 1 is a serial history
	keyCount       int     // active keys; a key retires after maxWritesPerKey writes
	maxTxnLen      int     // micro-operations per transaction, 1..maxTxnLen
	maxWritesKey   int     // writes per key before a fresh key replaces it
	failRate       float64 // transactions that abort (definite: not applied)
	infoRate       float64 // transactions whose outcome is unknown (applied half the time)
	seed           uint64
	serialExecutor bool // apply each transaction at its invocation, clients one at a time
	// replicas > 1 makes the store unsafe, like Gossip Glomers' 6a/6b
	// nodes and ddbbench's txn-local: each client's transactions run on
	// one replica, whose writes reach the others gossipDelay later.
	replicas    int
	gossipDelay int64
}

func defaultGen(workload string, n int) genConfig {
	// Maelstrom's defaults: 10 active keys, up to 4 micro-operations, 16
	// writes per key; concurrency 10.
	return genConfig{workload: workload, txns: n, concurrency: 10, keyCount: 10, maxTxnLen: 4, maxWritesKey: 16, seed: 1}
}

type genTxn struct {
	t                      txn.Txn
	process                int
	invoke, exec, complete int64
	outcome                history.Outcome
	applied                bool
}

// generate builds the history.
func generate(c genConfig) history.History {
	rng := rand.New(rand.NewPCG(c.seed, c.seed^0x9e3779b97f4a7c15))
	active := make([]int, c.keyCount)
	writes := map[int]int{} // writes issued per key; the next value is writes+1
	for i := range active {
		active[i] = i
	}
	nextKey := c.keyCount
	// Exponential key choice: key i is twice as likely as key i+1.
	pickKey := func() int {
		u := rng.Float64()
		total := 1 - math.Pow(0.5, float64(len(active)))
		i := int(math.Floor(-math.Log2(1 - u*total)))
		if i >= len(active) {
			i = len(active) - 1
		}
		return i
	}
	newTxn := func() txn.Txn {
		n := 1 + rng.IntN(c.maxTxnLen)
		t := make(txn.Txn, 0, n)
		for len(t) < n {
			i := pickKey()
			k := active[i]
			if rng.IntN(2) == 0 {
				t = append(t, txn.Mop{F: txn.Read, Key: k})
				continue
			}
			if writes[k] >= c.maxWritesKey {
				active[i] = nextKey // retire the key
				nextKey++
				continue
			}
			writes[k]++
			f := txn.Write
			if c.workload == ListAppend {
				f = txn.Append
			}
			t = append(t, txn.Mop{F: f, Key: k, Value: writes[k]})
		}
		return t
	}

	// Clients: each runs transactions back to back with random service
	// times; a client whose transaction ends in info continues as a new
	// process, as Jepsen's do.
	txns := make([]*genTxn, 0, c.txns)
	type client struct {
		process int
		free    int64
	}
	clients := make([]client, c.concurrency)
	for i := range clients {
		clients[i].process = i
	}
	nextProcess := c.concurrency
	for len(txns) < c.txns {
		// The client free soonest starts the next transaction.
		ci := 0
		for i := range clients {
			if clients[i].free < clients[ci].free {
				ci = i
			}
		}
		cl := &clients[ci]
		g := &genTxn{t: newTxn(), process: cl.process, invoke: cl.free, outcome: history.OK, applied: true}
		d := 1 + rng.Int64N(1000)
		g.complete = g.invoke + d
		g.exec = g.invoke + rng.Int64N(d)
		if c.serialExecutor {
			g.exec = g.invoke
		}
		switch u := rng.Float64(); {
		case u < c.failRate:
			g.outcome, g.applied = history.Fail, false
		case u < c.failRate+c.infoRate:
			g.outcome, g.applied = history.Info, rng.IntN(2) == 0
		}
		txns = append(txns, g)
		cl.free = g.complete + rng.Int64N(50)
		if c.serialExecutor {
			// One client at a time: everyone waits for this one.
			for i := range clients {
				if clients[i].free < cl.free {
					clients[i].free = cl.free
				}
			}
		}
		if g.outcome == history.Info {
			cl.process = nextProcess
			nextProcess++
		}
	}

	// The store applies transactions in execution order.
	byExec := append([]*genTxn(nil), txns...)
	sort.SliceStable(byExec, func(i, j int) bool { return byExec[i].exec < byExec[j].exec })
	nr := max(c.replicas, 1)
	type gossip struct {
		at   int64
		m    txn.Mop
		from int
	}
	listsOf := make([]map[int][]int, nr)
	regsOf := make([]map[int]int, nr)
	inbox := make([][]gossip, nr)
	for r := range nr {
		listsOf[r], regsOf[r] = map[int][]int{}, map[int]int{}
	}
	apply := func(r int, m txn.Mop) {
		if m.F == txn.Append {
			listsOf[r][m.Key] = append(listsOf[r][m.Key], m.Value.(int))
		} else {
			regsOf[r][m.Key] = m.Value.(int)
		}
	}
	for _, g := range byExec {
		if !g.applied {
			continue
		}
		r := g.process % nr
		for len(inbox[r]) > 0 && inbox[r][0].at <= g.exec {
			apply(r, inbox[r][0].m)
			inbox[r] = inbox[r][1:]
		}
		lists, regs := listsOf[r], regsOf[r]
		for _, m := range g.t {
			if m.F != txn.Read {
				for o := range nr {
					if o != r {
						inbox[o] = append(inbox[o], gossip{g.exec + c.gossipDelay, m, r})
					}
				}
			}
		}
		for i, m := range g.t {
			switch m.F {
			case txn.Read:
				if c.workload == ListAppend {
					g.t[i].Value = append([]int(nil), lists[m.Key]...)
				} else if v, ok := regs[m.Key]; ok {
					g.t[i].Value = v
				}
			case txn.Append:
				lists[m.Key] = append(lists[m.Key], m.Value.(int))
			case txn.Write:
				regs[m.Key] = m.Value.(int)
			}
		}
	}

	sort.SliceStable(txns, func(i, j int) bool { return txns[i].complete < txns[j].complete })
	h := make(history.History, len(txns))
	for i, g := range txns {
		op := &history.Op{Index: i, Process: g.process, F: "txn", Value: request(g.t), Outcome: g.outcome,
			Invoke: g.invoke, Complete: g.complete, Intended: g.invoke}
		if g.outcome == history.OK {
			op.Result = g.t
		}
		h[i] = op
	}
	return h
}
