package commit

import (
	"slices"
	"strconv"
	"time"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// PaxosCommit is Gray & Lamport's Paxos Commit ("Consensus on Transaction
// Commit", ACM TODS 31(1), 2006): the decision of each resource manager
// (here, each participant) to prepare or abort is chosen by its own
// instance of Paxos over 2F+1 acceptors, and the transaction commits if
// and only if every instance chooses "prepared". Two-phase commit is the
// case F = 0, whose one acceptor is the coordinator.
//
// The acceptors are every node of the cluster, so F = (n-1)/2: with five
// nodes, any two may fail. Each participant is a resource manager; the
// coordinator is the initial leader.
//
// Normal case: the leader sends PREPARE to every resource manager. A
// manager that holds its locks forces a prepared record and sends a phase
// 2a message "prepared", with ballot 0 (which belongs to it), to every
// acceptor; one that lost its locks sends "aborted"; one that only read
// sends "prepared" with no write and releases its locks. Each acceptor,
// once it has every manager's ballot-0 message, accepts them all in one
// forced write and sends one phase 2b message to the leader (Gray &
// Lamport's bundling). An instance is chosen once F+1 acceptors accepted
// the same value; once every instance is chosen, the leader knows the
// outcome without writing anything (the acceptors' logs hold it), answers
// the client and sends COMMIT or ABORT to the managers. That is five
// message delays from the initiator's BeginCommit, one more than
// two-phase commit, and the same two forced-write delays.
//
// Failure: a manager that hears no decision, or a leader whose instances
// are not all chosen in time, becomes a leader itself: it runs phase 1 of
// a higher ballot for every instance of the attempt, takes for each the
// value accepted with the highest ballot among a majority of acceptors
// ("aborted" where none was), and runs phase 2 with them. Paxos makes
// competing leaders safe, so nothing depends on electing one. A manager
// blocks only when it cannot reach F+1 acceptors: Paxos Commit is
// nonblocking while a majority of acceptors is up, and safe always.
//
// This is Paxos Commit proper rather than two-phase commit over Raft
// groups as Spanner runs it (Corbett et al., OSDI 2012): with one copy of
// each shard here, replicating every participant would change what is
// stored, not only how it commits, and the comparison would no longer be
// about commit alone. Gray & Lamport's version puts the fault tolerance in
// the decision and keeps the data where two-phase commit keeps it.
type PaxosCommit struct {
	n       *deadlock.Node
	ledger  *ledger
	acc     *acceptor
	leads   map[string]*lead            // attempts this node leads, by name
	pending map[string]*deadlock.Commit // attempts this node coordinates, until decided
	doubts  map[string]int              // the generation of each attempt's doubt timer
	blocked map[string]bool
}

// lead is an attempt this node leads in one ballot: the coordinator's
// ballot 0, or a ballot of its own after a timeout.
type lead struct {
	txn       string
	instances []string
	writers   []string
	acceptors []string
	ballot    int
	got       map[string]map[string]string // phase 2b values, by acceptor
	decided   bool
}

// NewPaxosCommit returns a node of the sharded store that commits with
// Paxos Commit.
func NewPaxosCommit() *deadlock.Node {
	return deadlock.NewNodeWith(deadlock.WoundWait{}, deadlock.Options{Protocol: &PaxosCommit{}, OrphanAfter: orphanAfter})
}

// ballotKey holds the node's highest ballot round, so that a ballot
// number is never used twice, crashes included.
const ballotKey = "paxos/round"

// Start implements deadlock.Protocol.
func (p *PaxosCommit) Start(n *deadlock.Node) {
	p.n, p.ledger = n, newLedger(n)
	p.acc = &acceptor{n: n, bundles: map[string]*bundle{}}
	p.leads, p.pending, p.doubts, p.blocked = map[string]*lead{}, map[string]*deadlock.Commit{}, map[string]int{}, map[string]bool{}
	notice(n, "prepare", p.prepare)
	serve(n, "p1a", p.acc.prepare)
	notice(n, "p2a", p.accept)
	notice(n, "p2b", p.learn)
	notice(n, "decision", p.decision)
	for _, r := range p.ledger.recover() {
		p.takeOver(r.Txn, r.Instances, r.Writers, r.Acceptors)
	}
}

func majority(n int) int { return n/2 + 1 }

// Commit implements deadlock.Protocol: the leader's PREPARE.
func (p *PaxosCommit) Commit(c *deadlock.Commit) {
	l := &lead{txn: c.Txn, instances: c.Participants, writers: writersOf(c), acceptors: p.n.Sites(), got: map[string]map[string]string{}}
	p.leads[c.Txn] = l
	p.pending[c.Txn] = c
	for _, site := range c.Participants {
		b := prepareFor(c, site, l.writers)
		b.Acceptors, b.Instances = l.acceptors, l.instances
		tell(p.n, site, "prepare", b, p.prepare)
	}
	p.n.Env().SetTimer(voteTimeout, func() {
		if p.pending[c.Txn] == c {
			p.takeOver(c.Txn, l.instances, l.writers, l.acceptors)
		}
	})
}

// prepare is a resource manager's ballot 0: it votes, and sends its vote
// to every acceptor as a phase 2a message.
func (p *PaxosCommit) prepare(_ string, b prepareBody) {
	value := valuePrepared
	switch p.ledger.vote(b) {
	case no:
		value = valueAborted
	case yes:
		p.doubt(b.Txn, b.Instances, b.Writers, b.Acceptors)
	}
	m := phase2a{Txn: b.Txn, Leader: b.Owner.Coord, Instances: b.Instances, Values: map[string]string{p.n.Self(): value}}
	for _, a := range b.Acceptors {
		tell(p.n, a, "p2a", m, p.accept)
	}
}

func (p *PaxosCommit) accept(from string, m phase2a) {
	p.acc.accept(from, m, func(dest string, b phase2b) { tell(p.n, dest, "p2b", b, p.learn) })
}

// learn counts phase 2b messages; once every instance is chosen, the
// outcome is known.
func (p *PaxosCommit) learn(_ string, m phase2b) {
	l := p.leads[m.Txn]
	if l == nil || l.decided || m.Ballot != l.ballot {
		return
	}
	l.got[m.Acceptor] = m.Values
	commit := true
	for _, rm := range l.instances {
		v, ok := p.chosen(l, rm)
		if !ok {
			return
		}
		commit = commit && v == valuePrepared
	}
	env := p.n.Env()
	env.SetPhase(history.TxnDeciding)
	l.decided = true
	delete(p.leads, l.txn)
	cause := causeVoteNo
	if l.ballot > 0 {
		cause = causeTermination
	}
	p.answer(l.txn, commit, cause)
	env.SetPhase("")
	d := decisionBody{Txn: l.txn, Commit: commit}
	for _, rm := range l.writers {
		tell(p.n, rm, "decision", d, p.decision)
	}
}

// chosen is instance rm's value if F+1 acceptors accepted it in the
// lead's ballot.
func (p *PaxosCommit) chosen(l *lead, rm string) (string, bool) {
	count := map[string]int{}
	for _, a := range l.acceptors {
		if v, ok := l.got[a][rm]; ok {
			count[v]++
			if count[v] >= majority(len(l.acceptors)) {
				return v, true
			}
		}
	}
	return "", false
}

func (p *PaxosCommit) decision(_ string, b decisionBody) {
	if b.Commit {
		p.ledger.commit(b.Txn)
	} else {
		p.ledger.abort(b.Txn, false)
	}
	delete(p.blocked, b.Txn)
	p.answer(b.Txn, b.Commit, causeTermination)
}

// answer ends the attempt at its coordinator, if this node is it and it
// has not yet: the client hears the outcome whichever leader learned it.
func (p *PaxosCommit) answer(txn string, commit bool, cause string) {
	c := p.pending[txn]
	if c == nil {
		return
	}
	delete(p.pending, txn)
	if commit {
		c.Committed()
	} else {
		c.Aborted(cause)
	}
}

// inDoubt reports whether this node still needs txn's outcome: as a
// prepared manager, or as the coordinator with a client to answer.
func (p *PaxosCommit) inDoubt(txn string) bool {
	return p.ledger.prepared[txn] != nil || p.pending[txn] != nil
}

// doubt arms a prepared manager's timeout on the decision.
func (p *PaxosCommit) doubt(txn string, instances, writers, acceptors []string) {
	p.doubts[txn]++
	gen := p.doubts[txn]
	p.n.Env().SetTimer(doubtTimeout+jitter(p.n), func() {
		if p.doubts[txn] == gen && p.ledger.prepared[txn] != nil {
			p.takeOver(txn, instances, writers, acceptors)
		}
	})
}

// takeOver leads the attempt in a new, higher ballot: phase 1 on every
// acceptor; with F+1 promises, phase 2 with, for each instance, the value
// accepted in the highest ballot ("aborted" where none was). Without F+1
// promises it is blocked, and tries again later.
func (p *PaxosCommit) takeOver(txn string, instances, writers, acceptors []string) {
	if !p.inDoubt(txn) {
		return
	}
	ballot := p.nextBallot()
	promised, answered, reached := map[string]phase1b{}, 0, 0
	for _, a := range acceptors {
		ask(p.n, a, "p1a", phase1a{Txn: txn, Ballot: ballot}, p.acc.prepare, func(r phase1b, ok bool) {
			answered++
			if ok {
				reached++
			}
			if ok && r.OK {
				promised[a] = r
			}
			if answered < len(acceptors) || !p.inDoubt(txn) {
				return
			}
			if l := p.leads[txn]; l != nil && l.ballot > ballot {
				return // a later ballot of this node's own is under way
			}
			if reached < majority(len(acceptors)) {
				p.stuck(txn, instances, writers, acceptors)
				return
			}
			if len(promised) < majority(len(acceptors)) {
				// Another leader's higher ballot: not blocked, only in
				// a duel. Try again after a random pause.
				p.n.Env().SetTimer(jitter(p.n), func() { p.takeOver(txn, instances, writers, acceptors) })
				return
			}
			values := map[string]string{}
			for _, rm := range instances {
				best := accepted{Ballot: -1, Value: valueAborted}
				for _, a := range acceptors {
					if x, ok := promised[a].Accepted[rm]; ok && x.Ballot > best.Ballot {
						best = x
					}
				}
				values[rm] = best.Value
			}
			l := &lead{txn: txn, instances: instances, writers: writers, acceptors: acceptors, ballot: ballot, got: map[string]map[string]string{}}
			p.leads[txn] = l
			m := phase2a{Txn: txn, Ballot: ballot, Leader: p.n.Self(), Instances: instances, Values: values}
			for _, a := range acceptors {
				tell(p.n, a, "p2a", m, p.accept)
			}
			p.n.Env().SetTimer(doubtTimeout, func() {
				if p.leads[txn] == l && !l.decided {
					p.takeOver(txn, instances, writers, acceptors) // phase 2 did not finish: a higher ballot
				}
			})
		})
	}
}

// stuck is a ballot that could not reach F+1 acceptors: a manager in doubt
// is blocked until it does; it tries again later.
func (p *PaxosCommit) stuck(txn string, instances, writers, acceptors []string) {
	if p.ledger.prepared[txn] != nil && !p.blocked[txn] {
		p.blocked[txn] = true
		p.n.Env().CommitState(txn, history.TxnBlocked, "")
	}
	p.n.Env().SetTimer(doubtTimeout, func() { p.takeOver(txn, instances, writers, acceptors) })
}

// nextBallot is a ballot number no other node, and no earlier incarnation
// of this one, uses: round*n + index + 1, the round forced to the log.
func (p *PaxosCommit) nextBallot() int {
	st := p.n.Env().Store()
	round := 0
	if b, ok := st.Get(ballotKey); ok {
		round, _ = strconv.Atoi(string(b))
	}
	round++
	st.Put(ballotKey, []byte(strconv.Itoa(round)))
	st.Sync()
	return round*len(p.n.Sites()) + slices.Index(p.n.Sites(), p.n.Self()) + 1
}

// jitter is a random pause of up to half a doubt timeout, so that the
// managers of one attempt, which all time out together, do not all lead
// at once (Gray & Lamport assume a leader is elected; a random pause is
// the simplest election that lets one win).
func jitter(n *deadlock.Node) time.Duration {
	return time.Duration(n.Env().Rand().IntN(int(doubtTimeout/2/time.Millisecond))) * time.Millisecond
}
