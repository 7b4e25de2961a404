package commit

import (
	"encoding/json"

	"github.com/ddbbench/ddbbench/nodes/deadlock"
)

// acceptor is Paxos Commit's acceptor at one node: for each attempt, one
// instance of Paxos per resource manager, deciding that manager's vote,
// "prepared" or "aborted". A ballot covers every instance of an attempt,
// as a new leader takes them over together (Gray & Lamport, §4).
type acceptor struct {
	n *deadlock.Node
	// bundles gather ballot 0's phase 2a messages, one from each
	// resource manager, so that the acceptor accepts them in one forced
	// write and answers the leader in one phase 2b message.
	bundles map[string]*bundle
}

type bundle struct {
	instances []string
	leader    string
	values    map[string]string
}

// accepted is one instance's accepted ballot and value.
type accepted struct {
	Ballot int    `json:"b"`
	Value  string `json:"v"`
}

// acceptorState is an attempt's durable state at an acceptor: the
// highest ballot promised, and what it accepted in each instance.
type acceptorState struct {
	Promised int                 `json:"promised"`
	Accepted map[string]accepted `json:"accepted,omitempty"`
}

// Phase messages. A ballot's number is unique to the leader that runs it;
// ballot 0 belongs to the resource managers themselves, each proposing its
// own vote.
type (
	phase1a struct {
		Txn    string `json:"txn"`
		Ballot int    `json:"ballot"`
	}
	phase1b struct {
		OK       bool                `json:"ok"`
		Promised int                 `json:"promised"`
		Accepted map[string]accepted `json:"accepted,omitempty"`
	}
	phase2a struct {
		Txn       string            `json:"txn"`
		Ballot    int               `json:"ballot"`
		Leader    string            `json:"leader"`
		Instances []string          `json:"instances"`
		Values    map[string]string `json:"values"`
	}
	phase2b struct {
		Txn      string            `json:"txn"`
		Ballot   int               `json:"ballot"`
		Acceptor string            `json:"acceptor"`
		Values   map[string]string `json:"values"`
	}
)

// Instance values.
const (
	valuePrepared = "prepared"
	valueAborted  = "aborted"
)

func acceptorKey(txn string) string { return "a/" + txn }

func (a *acceptor) load(txn string) acceptorState {
	var s acceptorState
	if b, ok := a.n.Env().Store().Get(acceptorKey(txn)); ok {
		_ = json.Unmarshal(b, &s)
	}
	if s.Accepted == nil {
		s.Accepted = map[string]accepted{}
	}
	return s
}

// force writes the state and syncs it: an acceptor answers only what its
// log holds.
func (a *acceptor) force(txn string, s acceptorState) {
	b, _ := json.Marshal(s)
	st := a.n.Env().Store()
	st.Put(acceptorKey(txn), b)
	st.Sync()
}

// prepare is phase 1b: promise a higher ballot and tell what was accepted.
func (a *acceptor) prepare(_ string, m phase1a, reply func(phase1b)) {
	s := a.load(m.Txn)
	if m.Ballot <= s.Promised {
		reply(phase1b{Promised: s.Promised})
		return
	}
	s.Promised = m.Ballot
	a.force(m.Txn, s)
	delete(a.bundles, m.Txn) // ballot 0's stragglers can no longer be accepted
	reply(phase1b{OK: true, Promised: s.Promised, Accepted: s.Accepted})
}

// accept is phase 2b: accept a ballot not below the promise, force it, and
// tell the ballot's leader. Ballot 0's messages wait until every resource
// manager's has come, to be accepted together.
func (a *acceptor) accept(_ string, m phase2a, tellLeader func(dest string, b phase2b)) {
	s := a.load(m.Txn)
	if m.Ballot < s.Promised {
		return
	}
	if m.Ballot == 0 {
		if s.Promised > 0 || len(s.Accepted) > 0 {
			return // already accepted, or superseded
		}
		b := a.bundles[m.Txn]
		if b == nil {
			b = &bundle{instances: m.Instances, leader: m.Leader, values: map[string]string{}}
			a.bundles[m.Txn] = b
		}
		for rm, v := range m.Values {
			b.values[rm] = v
		}
		if len(b.values) < len(b.instances) {
			return
		}
		delete(a.bundles, m.Txn)
		m.Values = b.values
	}
	s.Promised = m.Ballot
	for _, rm := range sortedKeys(m.Values) {
		s.Accepted[rm] = accepted{Ballot: m.Ballot, Value: m.Values[rm]}
	}
	a.force(m.Txn, s)
	tellLeader(m.Leader, phase2b{Txn: m.Txn, Ballot: m.Ballot, Acceptor: a.n.Self(), Values: m.Values})
}
