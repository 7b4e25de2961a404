package deadlock

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/txn"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// Coordinator runs the transactions its node's clients send: strict
// two-phase locking, taking locks in the order the transaction touches its
// keys, one site at a time (the growing phase), then a one-round commit
// that applies the writes and releases every lock at once (the shrinking
// phase happens all at commit, which is what makes it strict). An aborted
// attempt releases everything and, once every site has, starts again after
// a short random pause with the same timestamp.
type Coordinator struct {
	n        *Node
	seq      int
	txns     map[string]*transaction // by id
	accounts []int                   // the bank's accounts, from bank_init
	// inProtocol counts attempts handed to a commit protocol and not yet
	// decided (protocol.go).
	inProtocol int
}

func newCoordinator(n *Node) *Coordinator {
	return &Coordinator{n: n, txns: map[string]*transaction{}}
}

type phase int

const (
	acquiring  phase = iota // taking locks one at a time
	backingOff              // aborted, waiting to restart
	committing              // applying at every participant
)

// transaction is one client request, through all its attempts.
type transaction struct {
	id      string
	ts      TS
	prog    program
	req     maelstrom.Msg
	attempt int
	phase   phase
	values  map[string]json.RawMessage // of the keys locked so far
	sites   []string                   // participants this attempt has asked, in order
	next    int                        // index of the next lock to take
	// waitingSite is where the lock request in flight went.
	waitingSite string
	aborts      []txn.Abort
}

func (t *transaction) name() string { return attemptName(t.id, t.attempt) }

func (c *Coordinator) owner(t *transaction) Owner {
	return Owner{Txn: t.name(), Coord: c.n.self, TS: t.ts}
}

// begin starts a transaction for a client's request.
func (c *Coordinator) begin(req maelstrom.Msg, prog program) {
	c.seq++
	t := &transaction{
		id:   fmt.Sprintf("%s.%d.%d", c.n.self, c.n.inc, c.seq),
		ts:   TS{Time: int64(c.n.env.Now()), Node: slices.Index(c.n.sites, c.n.self), Seq: c.seq},
		prog: prog,
		req:  req,
	}
	c.txns[t.id] = t
	if c.n.watch != nil {
		c.n.watch.Begin(t.id, t.ts, c.n.env.Now().Seconds())
	}
	c.start(t)
}

func (c *Coordinator) start(t *transaction) {
	t.attempt++
	t.phase, t.values, t.sites, t.next = acquiring, map[string]json.RawMessage{}, nil, 0
	c.acquire(t)
}

// acquire asks for the next locks, those of the keys up to the next that
// lives on another site (the site takes them one after the other), or
// commits once it holds them all.
func (c *Coordinator) acquire(t *transaction) {
	if t.next == len(t.prog.locks) {
		c.commit(t)
		return
	}
	step := t.next
	site := c.n.siteOf(t.prog.locks[step].key)
	var items []lockItem
	for _, l := range t.prog.locks[step:] {
		if c.n.siteOf(l.key) != site {
			break
		}
		items = append(items, lockItem{Key: l.key, Mode: l.mode})
	}
	if !slices.Contains(t.sites, site) {
		t.sites = append(t.sites, site)
	}
	name := t.name()
	t.waitingSite = site
	current := func() bool { return c.txns[t.id] == t && t.name() == name && t.phase == acquiring && t.next == step }
	ask(c.n, site, "lock", lockBody{Owner: c.owner(t), Step: step, Locks: items}, c.n.site.lock, current, func(r lockReply) {
		if !current() {
			return
		}
		t.waitingSite = ""
		if !r.Granted {
			c.abort(t, r.Cause, r.At)
			return
		}
		for k, v := range r.Values {
			t.values[k] = v
		}
		t.next += len(items)
		c.acquire(t)
	})
}

// abort ends the current attempt: release everything it locked or asked
// for and, once every site has released, restart after a pause, or give up
// after maxAttempts. Waiting for the releases means an attempt's locks are
// gone before its transaction tries again or ends: no stale lock of an
// older transaction outlives it to make the oldest live one wait or die.
// At is when the abort took effect: now, or when a site refused the
// attempt's request.
func (c *Coordinator) abort(t *transaction, cause string, at float64) {
	c.record(t, cause, at)
	c.releaseAll(t, func() { c.retryOrGiveUp(t) })
}

// record notes the current attempt's abort.
func (c *Coordinator) record(t *transaction, cause string, at float64) {
	if at == 0 {
		at = c.n.env.Now().Seconds()
	}
	t.aborts = append(t.aborts, txn.Abort{Attempt: t.name(), Cause: cause, At: at})
	if c.n.watch != nil {
		c.n.watch.Abort(t.id, t.ts, cause, at)
	}
	if c.n.protocol != nil {
		c.n.env.CommitState(t.name(), history.TxnAbort, cause)
	}
	t.phase, t.waitingSite = backingOff, ""
}

// retryOrGiveUp restarts an aborted transaction after a pause, or gives
// up after its last attempt.
func (c *Coordinator) retryOrGiveUp(t *transaction) {
	if t.attempt >= c.n.maxAttempts {
		causes := make([]string, len(t.aborts))
		for i, a := range t.aborts {
			causes[i] = a.Cause
		}
		c.fail(t, maelstrom.TxnConflict, fmt.Sprintf("aborted %d times (%s); giving up", len(t.aborts), strings.Join(causes, ", ")))
		return
	}
	pause := time.Duration(c.n.env.Rand().IntN(1<<min(t.attempt, 6)+1)) * backoffUnit
	c.n.env.SetTimer(pause, func() {
		if c.txns[t.id] == t {
			c.start(t)
		}
	})
}

// releaseAll releases the attempt at every site it asked, then calls done.
func (c *Coordinator) releaseAll(t *transaction, done func()) {
	left := len(t.sites)
	if left == 0 {
		done()
		return
	}
	for _, site := range t.sites {
		ask(c.n, site, "release", releaseBody{Txn: t.name()}, c.n.site.release, always, func(ackBody) {
			if left--; left == 0 {
				done()
			}
		})
	}
}

func always() bool { return true }

// commit runs the transaction's program on the values it locked and
// applies the writes in one round: each participant writes its share and
// releases. There is no vote: a participant that crashes before applying
// loses its share, which is why atomic commitment needs two phases (see
// the package documentation). A node built with a commit protocol
// (protocol.go; package commit's) hands the attempt to it here instead.
func (c *Coordinator) commit(t *transaction) {
	writes, reply, err := t.prog.run(t.values)
	if err != nil {
		t.phase = committing // ending: no wound or victim can abort it now
		if c.n.protocol != nil {
			c.n.env.CommitState(t.name(), history.TxnAbort, Refused)
		}
		c.releaseAll(t, func() { c.fail(t, err.Code, err.Text) })
		return
	}
	t.phase = committing
	bySite := map[string]map[string]json.RawMessage{}
	for _, k := range sortedKeys(writes) {
		site := c.n.siteOf(k)
		if bySite[site] == nil {
			bySite[site] = map[string]json.RawMessage{}
		}
		bySite[site][k] = writes[k]
	}
	if c.n.protocol != nil {
		c.handOver(t, bySite, reply)
		return
	}
	left := len(t.sites)
	for _, site := range t.sites {
		ask(c.n, site, "apply", applyBody{Txn: t.name(), Writes: bySite[site]}, c.n.site.apply, always, func(ackBody) {
			if left--; left == 0 {
				c.finish(t)
				c.n.env.Reply(t.req, t.prog.replyType, reply(maelstrom.TxnReport{Aborts: t.aborts}))
			}
		})
	}
}

// fail tells the client the transaction did not happen.
func (c *Coordinator) fail(t *transaction, code int, text string) {
	c.finish(t)
	c.n.env.Reply(t.req, "error", maelstrom.TxnErrorBody{Code: code, Text: text, TxnReport: maelstrom.TxnReport{Aborts: t.aborts}})
}

func (c *Coordinator) finish(t *transaction) {
	delete(c.txns, t.id)
	if c.n.watch != nil {
		c.n.watch.End(t.id, c.n.env.Now().Seconds())
	}
}

// abortRequested handles a wound or a detector's choice of victim: abort
// the attempt if it is still the current one and has not started to
// commit. A transaction that is committing finishes (in wound-wait "the
// wounded transaction dies unless it has already committed").
func (c *Coordinator) abortRequested(b abortBody) {
	id, _, _ := strings.Cut(b.Txn, "#")
	t := c.txns[id]
	if t == nil || t.name() != b.Txn || t.phase != acquiring {
		return
	}
	c.abort(t, b.Cause, 0)
}

// wounded serves a wound, which the wounding site repeats until it is
// answered: lost in a partition, it arrives once the partition heals.
func (c *Coordinator) wounded(b abortBody, reply func(ackBody)) {
	c.abortRequested(b)
	reply(ackBody{})
}

// waitingAt is the site where attempt name's lock request in flight went,
// if it has one.
func (c *Coordinator) waitingAt(name string) (site string, ok bool) {
	id, _, _ := strings.Cut(name, "#")
	t := c.txns[id]
	if t == nil || t.name() != name || t.phase != acquiring || t.waitingSite == "" {
		return "", false
	}
	return t.waitingSite, true
}
