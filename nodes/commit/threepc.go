package commit

import (
	"slices"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// ThreePC is Skeen's three-phase commit (Skeen, "Nonblocking Commit
// Protocols", SIGMOD 1981; Bernstein, Hadzilacos & Goodman 1987, §7.5;
// Özsu & Valduriez §12.4), with the termination protocol that elects a
// new coordinator.
//
// Phase 1, CAN-COMMIT: as two-phase commit's voting: a participant that
// holds its locks forces a prepared record and votes YES; it is now
// uncertain (state w).
//
// Phase 2, PRE-COMMIT: with every vote YES, the coordinator forces a
// pre-commit record and sends PRE-COMMIT; each participant forces its new
// state, pre-committed (p), and acknowledges. The extra phase is the whole
// idea: no participant commits while another is still uncertain, so no
// state of an operational participant is next to both commit and abort.
//
// Phase 3, DO-COMMIT: with every acknowledgement, or when the wait for
// them times out (a participant that failed will learn the outcome when it
// recovers), the coordinator forces its commit record, answers the client
// and sends DO-COMMIT. A NO or a missing vote aborts, as in two-phase
// commit with presumed abort.
//
// Termination: a participant that hears nothing from the coordinator for a
// while takes it for failed. It asks the other participants their states;
// the operational participants that answer elect a new coordinator, the
// lowest-numbered of them, which decides by Skeen's rule: commit if any
// has committed, abort if any has aborted (or never voted, and so aborts
// now), commit if any is pre-committed (after pre-committing the
// uncertain ones), and abort if all are uncertain. Nobody blocks while a
// participant is up.
//
// The rule is sound only if "no answer" means "failed". In a partition the
// two sides each elect a coordinator: the side that holds a pre-committed
// participant (or the old coordinator, whose wait for acknowledgements
// times out) commits, the side where all are uncertain aborts, and the
// transaction is committed at some participants and aborted at others.
// Skeen & Stonebraker (1983) show that no commit protocol is nonblocking
// under partitions; three-phase commit buys nonblocking under site
// failures and loses atomicity under communication failures. A paused
// coordinator that resumes acts on its old view in the same way.
//
// Recovery: a participant that failed before the outcome was known may
// not join the termination protocol (its state is stale); it asks the
// others, and the coordinator, until one knows. If every participant and
// the coordinator failed (a total failure), none knows, and it blocks
// until all are back: three-phase commit is nonblocking only while some
// site is up. Decisions are forced, aborts included, so that whoever
// decided still knows after a crash.
type ThreePC struct {
	n          *deadlock.Node
	ledger     *ledger
	log        *decisions
	rounds     map[string]*round3
	recovering map[string]bool // attempts this incarnation recovered in doubt: it only asks
	doubts     map[string]int  // the generation of each attempt's doubt timer
	blocked    map[string]bool
}

// round3 is one attempt at its coordinator.
type round3 struct {
	c       *deadlock.Commit
	writers []string
	votes   map[string]string
	acks    map[string]bool
	phase   int
}

const (
	voting = iota
	preCommitting
	finished
)

// Participant states, as the termination protocol asks for them.
const (
	stateUncertain    = uncertain      // w: voted yes
	statePreCommitted = "precommitted" // p
	stateRecovering   = "recovering"   // in doubt after a crash: not operational
	preCommittedState = "p"            // record.State
)

// ackTimeout is how long a coordinator waits for the acknowledgements of
// PRE-COMMIT before it commits anyway: shorter than doubtTimeout, so that
// a participant does not take a coordinator that is only waiting for a
// failed participant for failed itself.
const ackTimeout = doubtTimeout / 2

// NewThreePC returns a node of the sharded store that commits with 3PC.
func NewThreePC() *deadlock.Node {
	return deadlock.NewNodeWith(deadlock.WoundWait{}, deadlock.Options{Protocol: &ThreePC{}, OrphanAfter: orphanAfter})
}

// Start implements deadlock.Protocol.
func (p *ThreePC) Start(n *deadlock.Node) {
	p.n, p.ledger, p.log = n, newLedger(n), &decisions{n: n}
	p.rounds, p.recovering, p.doubts, p.blocked = map[string]*round3{}, map[string]bool{}, map[string]int{}, map[string]bool{}
	serve(n, "prepare", p.prepare)
	serve(n, "precommit", p.preCommit)
	serve(n, "commit", p.commitAt)
	notice(n, "decision", p.decision)
	serve(n, "status", p.status)
	for _, r := range p.ledger.recover() {
		p.recovering[r.Txn] = true
		p.inquire(r.Txn)
	}
	recs := p.log.load()
	for _, txn := range p.log.index {
		if rec, ok := recs[txn]; ok && !rec.PreCommit {
			p.log.sendCommits(txn, rec.Writers, p.commitAt)
		}
	}
}

// Commit implements deadlock.Protocol: CAN-COMMIT.
func (p *ThreePC) Commit(c *deadlock.Commit) {
	r := &round3{c: c, writers: writersOf(c), votes: map[string]string{}, acks: map[string]bool{}}
	p.rounds[c.Txn] = r
	for _, site := range c.Participants {
		call(p.n, site, "prepare", prepareFor(c, site, r.writers), p.prepare, func() bool { return r.phase == voting }, func(v voteReply) { p.voted(r, site, v.Vote) })
	}
	p.n.Env().SetTimer(voteTimeout, func() {
		if r.phase == voting {
			p.abort(r, causeVoteTimeout)
		}
	})
}

func (p *ThreePC) voted(r *round3, site, vote string) {
	if r.phase != voting || r.votes[site] != "" {
		return
	}
	r.votes[site] = vote
	if vote == no {
		p.abort(r, causeVoteNo)
		return
	}
	if len(r.votes) < len(r.c.Participants) {
		return
	}
	env := p.n.Env()
	env.SetPhase(history.TxnDeciding)
	if len(r.writers) == 0 {
		env.SetPhase("")
		p.decide(r)
		return
	}
	r.phase = preCommitting
	p.log.force(r.c.Txn, decision{Writers: r.writers, PreCommit: true})
	env.SetPhase("")
	for _, site := range r.writers {
		call(p.n, site, "precommit", statusBody{Txn: r.c.Txn}, p.preCommit, func() bool { return r.phase == preCommitting }, func(s statusReply) {
			if r.phase != preCommitting || s.State != statePreCommitted {
				return // not an acknowledgement: the wait times out
			}
			r.acks[site] = true
			if len(r.acks) == len(r.writers) {
				p.decide(r)
			}
		})
	}
	env.SetTimer(ackTimeout, func() {
		if r.phase == preCommitting {
			p.decide(r) // Skeen: a participant that did not acknowledge failed, and will learn the outcome
		}
	})
}

// decide commits: the commit record, the client, DO-COMMIT.
func (p *ThreePC) decide(r *round3) {
	r.phase = finished
	delete(p.rounds, r.c.Txn)
	if len(r.writers) > 0 {
		p.log.force(r.c.Txn, decision{Writers: r.writers})
	}
	r.c.Committed()
	p.log.sendCommits(r.c.Txn, r.writers, p.commitAt)
}

func (p *ThreePC) abort(r *round3, cause string) {
	r.phase = finished
	delete(p.rounds, r.c.Txn)
	for _, site := range r.c.Participants {
		if v := r.votes[site]; v != no && v != readOnly {
			tell(p.n, site, "decision", decisionBody{Txn: r.c.Txn}, p.decision)
		}
	}
	r.c.Aborted(cause)
}

// The participant.

func (p *ThreePC) prepare(_ string, b prepareBody, reply func(voteReply)) {
	v := p.ledger.vote(b)
	if v == yes && !p.recovering[b.Txn] {
		p.doubt(b.Txn)
	}
	reply(voteReply{Vote: v})
}

// preCommit moves an uncertain participant to pre-committed, forcing the
// new state, and acknowledges with it; any other state is answered as it
// is, which the coordinator does not count as an acknowledgement.
func (p *ThreePC) preCommit(_ string, b statusBody, reply func(statusReply)) {
	if r := p.ledger.prepared[b.Txn]; r != nil && r.State == "" && !p.recovering[b.Txn] {
		r.State = preCommittedState
		p.ledger.save(r)
		p.doubt(b.Txn)
	}
	reply(statusReply{State: p.state(b.Txn)})
}

func (p *ThreePC) commitAt(_ string, b decisionBody, reply func(ackBody)) {
	p.decision("", b)
	reply(ackBody{})
}

func (p *ThreePC) decision(_ string, b decisionBody) {
	if b.Commit {
		p.ledger.commit(b.Txn)
	} else {
		p.ledger.abort(b.Txn, true)
	}
	delete(p.recovering, b.Txn)
	delete(p.blocked, b.Txn)
}

// state is what this participant tells the termination protocol of txn.
func (p *ThreePC) state(txn string) string {
	if o, ok := p.ledger.outcome(txn); ok {
		return o
	}
	if p.recovering[txn] {
		return stateRecovering
	}
	if r := p.ledger.prepared[txn]; r != nil {
		if r.State == preCommittedState {
			return statePreCommitted
		}
		return stateUncertain
	}
	if p.ledger.readOnly[txn] {
		return stateRecovering // knows nothing, takes no part
	}
	p.ledger.abort(txn, true) // never voted: it aborts now, and says so
	return aborted
}

// status answers as the attempt's coordinator (for a recovering
// participant) or as a participant (for the termination protocol).
func (p *ThreePC) status(_ string, b statusBody, reply func(statusReply)) {
	if !b.Coordinator {
		reply(statusReply{State: p.state(b.Txn)})
		return
	}
	rec, logged := p.log.get(b.Txn)
	switch {
	case logged && !rec.PreCommit:
		reply(statusReply{State: committed})
	case p.rounds[b.Txn] != nil:
		reply(statusReply{State: uncertain})
	case logged:
		// Pre-committed before a crash: it cannot decide alone.
		reply(statusReply{State: statePreCommitted})
	default:
		// No pre-commit record: no PRE-COMMIT was sent, so nobody can
		// have committed.
		reply(statusReply{State: aborted})
	}
}

// doubt (re)arms the participant's timeout on its coordinator.
func (p *ThreePC) doubt(txn string) {
	p.doubts[txn]++
	gen := p.doubts[txn]
	p.n.Env().SetTimer(doubtTimeout, func() {
		if p.doubts[txn] == gen && p.ledger.prepared[txn] != nil && !p.recovering[txn] {
			p.terminate(txn)
		}
	})
}

// terminate is one round of the termination protocol: collect the
// operational participants' states, and if this node is the lowest of
// them, decide for all by Skeen's rule; otherwise wait for the one that is.
func (p *ThreePC) terminate(txn string) {
	r := p.ledger.prepared[txn]
	states := map[string]string{p.n.Self(): p.state(txn)}
	others := slices.DeleteFunc(slices.Clone(r.Writers), func(w string) bool { return w == p.n.Self() })
	left := len(others)
	done := func() {
		if p.ledger.prepared[txn] == nil {
			return // decided meanwhile
		}
		p.elect(txn, r, states)
	}
	if left == 0 {
		done()
		return
	}
	for _, node := range others {
		ask(p.n, node, "status", statusBody{Txn: txn}, p.status, func(s statusReply, ok bool) {
			if ok {
				states[node] = s.State
			}
			if left--; left == 0 {
				done()
			}
		})
	}
}

// elect applies the termination rule to the states collected.
func (p *ThreePC) elect(txn string, r *record, states map[string]string) {
	var operational []string
	var anyCommit, anyAbort, anyPre bool
	for node, s := range states {
		switch s {
		case committed:
			anyCommit = true
		case aborted:
			anyAbort = true
		case statePreCommitted:
			anyPre = true
		}
		if s != stateRecovering {
			operational = append(operational, node)
		}
	}
	switch {
	case anyCommit:
		p.decideAll(txn, r, true)
		return
	case anyAbort:
		p.decideAll(txn, r, false)
		return
	}
	slices.Sort(operational)
	if operational[0] != p.n.Self() {
		p.doubt(txn) // the new coordinator is another: wait for its decision
		return
	}
	p.n.Env().Logf("3pc %s: elected coordinator by %v", txn, states)
	if !anyPre {
		p.decideAll(txn, r, false)
		return
	}
	// Pre-commit the uncertain ones, then commit.
	var uncertainOnes []string
	for _, node := range operational {
		if states[node] == stateUncertain {
			uncertainOnes = append(uncertainOnes, node)
		}
	}
	left := len(uncertainOnes)
	finish := func() {
		if p.ledger.prepared[txn] != nil {
			p.decideAll(txn, r, true)
		}
	}
	if left == 0 {
		finish()
		return
	}
	for _, node := range uncertainOnes {
		ask(p.n, node, "precommit", statusBody{Txn: txn}, p.preCommit, func(statusReply, bool) {
			if left--; left == 0 {
				finish()
			}
		})
	}
}

// decideAll applies a decision here and tells every other participant.
func (p *ThreePC) decideAll(txn string, r *record, commit bool) {
	p.decision("", decisionBody{Txn: txn, Commit: commit})
	for _, node := range r.Writers {
		if node != p.n.Self() {
			tell(p.n, node, "decision", decisionBody{Txn: txn, Commit: commit}, p.decision)
		}
	}
}

// inquire is a recovering participant's question, asked of the
// coordinator and every participant until one knows the outcome.
//
// After a total failure nobody may know: then, once the coordinator and
// every participant are back and none decided, their logs together
// decide, as the last site to fail would have (Skeen 1981, recovery from
// total failure): the coordinator's pre-commit record means that every
// participant voted yes and that no operational participant decided
// without hearing of it, so the lowest participant commits for all;
// without that record the coordinator answers abort.
func (p *ThreePC) inquire(txn string) {
	r := p.ledger.prepared[txn]
	if r == nil {
		return
	}
	asked := append([]string{r.Owner.Coord}, r.Writers...)
	left, learned := len(asked), false
	answers := map[int]string{}
	for i, node := range asked {
		ask(p.n, node, "status", statusBody{Txn: txn, Coordinator: i == 0}, p.status, func(s statusReply, ok bool) {
			left--
			if ok {
				answers[i] = s.State
			}
			if ok && !learned && (s.State == committed || s.State == aborted) && p.ledger.prepared[txn] != nil {
				learned = true
				p.decision("", decisionBody{Txn: txn, Commit: s.State == committed})
			}
			if left > 0 || learned || p.ledger.prepared[txn] == nil {
				return
			}
			allBack := answers[0] == statePreCommitted
			for j := 1; j < len(asked); j++ {
				allBack = allBack && answers[j] == stateRecovering
			}
			if allBack && slices.Min(r.Writers) == p.n.Self() {
				p.n.Env().Logf("3pc %s: every site recovered and none decided; the coordinator pre-committed: commit", txn)
				p.decideAll(txn, r, true)
				return
			}
			if !p.blocked[txn] {
				p.blocked[txn] = true
				p.n.Env().CommitState(txn, history.TxnBlocked, "")
			}
			p.n.Env().SetTimer(doubtTimeout, func() { p.inquire(txn) })
		})
	}
}
