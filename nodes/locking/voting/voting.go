// Package voting is majority voting locking: every site holds a copy of
// every lock, and a lock is held by whoever a majority of the copies is
// granted to.
//
// Source: Robert H. Thomas, "A Majority Consensus Approach to Concurrency
// Control for Multiple Copy Databases", ACM TODS 4(2), 1979; Elmasri &
// Navathe, Fundamentals of Database Systems (7th ed., 2016), ch. 23,
// "Distributed Concurrency Control Based on Voting": a lock request goes to
// every site with a copy of the item; each copy keeps its own lock and
// grants or denies; a requester granted the lock by a majority of the
// copies holds it (and tells every copy so), and one that gets no majority
// within a time-out cancels its request at every site.
//
// The node a client talks to acts for it (the coordinator):
//
//   - Acquire: it asks every site, itself included, for its vote under a
//     fresh ballot. A site grants its vote unless another owner has it;
//     an owner asking again gets the vote it has. Votes are synced before
//     they are given: a restarted site must not vote twice. A majority of
//     grants holds the lock: acquire_ok at once. As soon as a majority can
//     no longer be reached (too many refusals), or when 500 ms pass
//     without one (the rest are cut off or down), the coordinator cancels
//     the ballot at every site that did not refuse it and answers
//     lock-held (1000) or temporarily-unavailable (11): both definite,
//     since the client will not hold the lock. The client backs off and
//     asks again, as the paper's losers do. A site never grants a ballot
//     it refused or that was cancelled, so a duplicate, or a request
//     overtaken by its cancellation, leaves no vote behind.
//   - Release: every site gives back the owner's vote; a majority freed is
//     release_ok, a majority that did not have it is not-lock-holder, and
//     neither within 500 ms is an indefinite timeout.
//   - Cancellations and releases that go unanswered are sent again every
//     250 ms for 15 s, so that votes do not stay with a client that has
//     moved on once a partition heals.
//
// A lock costs two messages per site asked: 2(n-1) between servers to
// acquire, as many to release. The paper's last step, telling every site
// who won, is left out: nothing here reads it.
//
// Expected behaviour: safe under every fault. Two majorities of n sites
// share a site, which grants its vote to one owner at a time and
// remembers it across crashes; nothing depends on timing or clocks. A
// minority cut off cannot acquire, and contenders that split the votes all
// lose and retry: the price is availability.
package voting

import (
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/locking/locktable"
)

const (
	voteTimeout   = 250 * time.Millisecond // one site's answer
	roundTimeout  = 500 * time.Millisecond // a majority's
	retryInterval = 250 * time.Millisecond
	retryFor      = 15 * time.Second
)

// Bodies between sites.
type (
	voteBody struct {
		Lock   string `json:"lock"`
		Owner  string `json:"owner"`
		Ballot int64  `json:"ballot"`
	}
	voteOKBody struct {
		Granted bool  `json:"granted"`
		Token   int64 `json:"token,omitempty"`
	}
	releaseVoteBody struct {
		Lock  string `json:"lock"`
		Owner string `json:"owner"`
	}
	releaseVoteOKBody struct {
		Freed bool `json:"freed"`
	}
)

// Node is one site.
type Node struct {
	env    nodes.Env
	mux    *nodes.Mux
	votes  *votes
	peers  []string
	quorum int
}

// New returns a site.
func New() nodes.Node { return &Node{} }

// Init recovers the site's votes.
func (n *Node) Init(env nodes.Env) {
	n.env = env
	n.votes = loadVotes(env.Store())
	ids := env.NodeIDs()
	n.quorum = len(ids)/2 + 1
	for _, id := range ids {
		if id != env.ID() {
			n.peers = append(n.peers, id)
		}
	}
	n.mux = nodes.NewMux(env)
	n.mux.Handle("acquire", n.acquire)
	n.mux.Handle("release", n.release)
	n.mux.Handle("vote", n.handleVote)
	n.mux.Handle("unvote", n.handleUnvote)
	n.mux.Handle("release_vote", n.handleReleaseVote)
}

// Handle serves a request.
func (n *Node) Handle(msg maelstrom.Msg) { n.mux.Dispatch(msg) }

// ---- a site's side ----

func (n *Node) handleVote(req maelstrom.Msg) {
	b, err := maelstrom.Decode[voteBody](req)
	if err != nil {
		n.env.ReplyError(req, maelstrom.MalformedRequest, err.Error())
		return
	}
	token, granted := n.votes.grant(b.Lock, b.Owner, b.Ballot)
	n.env.Store().Sync() // the vote is durable before it is counted
	n.env.Reply(req, "vote_ok", voteOKBody{Granted: granted, Token: token})
}

func (n *Node) handleUnvote(req maelstrom.Msg) {
	b, err := maelstrom.Decode[voteBody](req)
	if err != nil {
		n.env.ReplyError(req, maelstrom.MalformedRequest, err.Error())
		return
	}
	n.votes.cancel(b.Lock, b.Owner, b.Ballot)
	n.env.Store().Sync()
	n.env.Reply(req, "unvote_ok", nil)
}

func (n *Node) handleReleaseVote(req maelstrom.Msg) {
	b, err := maelstrom.Decode[releaseVoteBody](req)
	if err != nil {
		n.env.ReplyError(req, maelstrom.MalformedRequest, err.Error())
		return
	}
	freed := n.votes.release(b.Lock, b.Owner)
	n.env.Store().Sync()
	n.env.Reply(req, "release_vote_ok", releaseVoteOKBody{Freed: freed})
}

// ---- the coordinator's side ----

// tally counts a round's answers until it is decided.
type tally struct {
	yes, no int
	token   int64 // the highest token among the grants
	decided bool
	refused map[string]bool // sites that refused: their vote is not ours
}

// acquire asks every site for its vote under a fresh ballot.
func (n *Node) acquire(req maelstrom.Msg) {
	b, ok := locktable.DecodeAcquire(n.env, req)
	if !ok {
		return
	}
	vb := voteBody{Lock: b.Lock, Owner: b.Client, Ballot: n.env.Rand().Int64() | 1}
	t := &tally{refused: map[string]bool{}}
	// Leases are not part of voting: ttl_ms is ignored.
	count := func(site string, granted bool, token int64) {
		if !granted {
			t.refused[site] = true // a site never grants a ballot it refused
		}
		if t.decided {
			return
		}
		if granted {
			t.yes++
			t.token = max(t.token, token)
		} else {
			t.no++
		}
		switch {
		case t.yes >= n.quorum:
			t.decided = true
			n.env.Reply(req, "acquire_ok", maelstrom.AcquireOKBody{Token: t.token})
		case t.no > len(n.peers)+1-n.quorum:
			t.decided = true
			n.cancel(vb, t.refused)
			n.env.ReplyError(req, maelstrom.LockHeld, "the votes went to others")
		}
	}
	token, granted := n.votes.grant(vb.Lock, vb.Owner, vb.Ballot)
	n.env.Store().Sync()
	count(n.env.ID(), granted, token)
	for _, p := range n.peers {
		n.env.RPC(p, "vote", vb, voteTimeout, func(resp maelstrom.Msg, err error) {
			if err != nil {
				return // the round's timeout decides
			}
			body, derr := maelstrom.Decode[voteOKBody](resp)
			if derr != nil {
				n.env.Logf("bad vote_ok from %s: %v", p, derr)
				return
			}
			count(p, body.Granted, body.Token)
		})
	}
	n.env.SetTimer(roundTimeout, func() {
		if !t.decided {
			t.decided = true
			n.cancel(vb, t.refused)
			n.env.ReplyError(req, maelstrom.TemporarilyUnavailable, "no majority of votes within the time-out")
		}
	})
}

// cancel withdraws a ballot at every site that did not refuse it, its own
// at once, the others until they answer.
func (n *Node) cancel(vb voteBody, refused map[string]bool) {
	n.votes.cancel(vb.Lock, vb.Owner, vb.Ballot)
	n.env.Store().Sync()
	for _, p := range n.peers {
		if !refused[p] {
			n.persist(p, "unvote", vb, nil)
		}
	}
}

// release gives back the owner's vote at every site.
func (n *Node) release(req maelstrom.Msg) {
	b, ok := locktable.DecodeRelease(n.env, req)
	if !ok {
		return
	}
	rb := releaseVoteBody{Lock: b.Lock, Owner: b.Client}
	t := &tally{}
	count := func(freed bool) {
		if t.decided {
			return
		}
		if freed {
			t.yes++
		} else {
			t.no++
		}
		switch {
		case t.yes >= n.quorum:
			t.decided = true
			n.env.Reply(req, "release_ok", nil)
		case t.no > len(n.peers)+1-n.quorum:
			t.decided = true
			n.env.ReplyError(req, maelstrom.NotLockHolder, "no majority of the votes was "+b.Client+"'s")
		}
	}
	freed := n.votes.release(rb.Lock, rb.Owner)
	n.env.Store().Sync()
	count(freed)
	for _, p := range n.peers {
		n.persist(p, "release_vote", rb, func(resp maelstrom.Msg) {
			body, err := maelstrom.Decode[releaseVoteOKBody](resp)
			if err == nil {
				count(body.Freed)
			}
		})
	}
	n.env.SetTimer(roundTimeout, func() {
		if !t.decided {
			t.decided = true
			// Some sites may have given the vote back: the outcome is not
			// known, and the sites that did not answer are still asked.
			n.env.ReplyError(req, maelstrom.Timeout, "no majority of sites answered")
		}
	})
}

// persist sends a request to peer until it answers (calling onAnswer, if
// set, with the answer) or retryFor passes; it counts tries rather than
// read the clock.
func (n *Node) persist(peer, typ string, body any, onAnswer func(maelstrom.Msg)) {
	left := int(retryFor / retryInterval)
	var try func()
	try = func() {
		left--
		n.env.RPC(peer, typ, body, retryInterval, func(resp maelstrom.Msg, err error) {
			if err == nil {
				if onAnswer != nil {
					onAnswer(resp)
				}
				return
			}
			if maelstrom.ErrorCode(err) == maelstrom.Timeout && left > 0 {
				try()
			}
		})
	}
	try()
}
