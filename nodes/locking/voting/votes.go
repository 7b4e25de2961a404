package voting

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/ddbbench/ddbbench/nodes"
)

// vote is one lock's row at one site: which owner this site's copy of the
// lock is granted to, and under which ballots (a coordinator's attempts for
// that owner: an owner that asks again is granted the vote it has under
// the new ballot too, and the vote stays while any of them stands).
type vote struct {
	Owner   string  `json:"owner,omitempty"`
	Ballots []int64 `json:"ballots,omitempty"`
	Token   int64   `json:"token,omitempty"`
}

// votes is a site's votes, one per lock, mirrored in its durable store: a
// restarted site must not forget whom it voted for, or two owners could
// both count it in a majority. Besides the rows it remembers, each under a
// key of its own, the ballots it refused or that were cancelled (never
// granted after, so that a request overtaken by its cancellation, or a
// duplicate of a refused one, leaves no vote behind) and the owners that
// have released (never granted again; asking again to release gets the
// first answer).
type votes struct {
	store nodes.Store
	rows  map[string]*vote
	last  int64 // this site's last vote token
}

const lastKey = "voting/last-token"

func rowKey(lock string) string { return "voting/lock/" + lock }
func deadKey(lock string, ballot int64) string {
	return "voting/dead/" + lock + "/" + strconv.FormatInt(ballot, 10)
}
func releasedKey(lock, owner string) string { return "voting/released/" + lock + "/" + owner }

func loadVotes(store nodes.Store) *votes {
	v := &votes{store: store, rows: map[string]*vote{}}
	if b, ok := store.Get(lastKey); ok {
		v.last, _ = strconv.ParseInt(string(b), 10, 64)
	}
	return v
}

func (v *votes) row(lock string) *vote {
	if r := v.rows[lock]; r != nil {
		return r
	}
	r := &vote{}
	if b, ok := v.store.Get(rowKey(lock)); ok {
		_ = json.Unmarshal(b, r) // unreadable: never acknowledged
	}
	v.rows[lock] = r
	return r
}

func (v *votes) save(lock string, r *vote) {
	b, err := json.Marshal(r)
	if err != nil {
		panic("voting: encoding a vote: " + err.Error())
	}
	v.store.Put(rowKey(lock), b)
	v.store.Put(lastKey, strconv.AppendInt(nil, v.last, 10))
}

func (v *votes) dead(lock string, ballot int64) bool {
	_, ok := v.store.Get(deadKey(lock, ballot))
	return ok
}

func (v *votes) kill(lock string, ballot int64) { v.store.Put(deadKey(lock, ballot), nil) }

// grant gives this site's vote for lock to owner's ballot, unless another
// owner has it, the ballot is dead or the owner has released; a vote
// already given to the owner is given again. A refused ballot is dead. The
// caller syncs.
func (v *votes) grant(lock, owner string, ballot int64) (token int64, granted bool) {
	r := v.row(lock)
	_, released := v.store.Get(releasedKey(lock, owner))
	switch {
	case released || v.dead(lock, ballot):
		return 0, false
	case r.Owner == owner:
		if !slices.Contains(r.Ballots, ballot) {
			r.Ballots = append(r.Ballots, ballot)
			v.save(lock, r)
		}
		return r.Token, true
	case r.Owner != "":
		v.kill(lock, ballot)
		return 0, false
	}
	v.last++
	r.Owner, r.Ballots, r.Token = owner, []int64{ballot}, v.last
	v.save(lock, r)
	return r.Token, true
}

// cancel withdraws a ballot: the vote goes back once no ballot of its
// owner stands (a cancelled attempt must not take back a vote that a later
// attempt of the same owner won), and the ballot is dead.
func (v *votes) cancel(lock, owner string, ballot int64) {
	r := v.row(lock)
	if r.Owner == owner && slices.Contains(r.Ballots, ballot) {
		r.Ballots = slices.DeleteFunc(r.Ballots, func(b int64) bool { return b == ballot })
		if len(r.Ballots) == 0 {
			r.Owner, r.Ballots, r.Token = "", nil, 0
		}
		v.save(lock, r)
	}
	v.kill(lock, ballot)
}

// release gives back owner's vote, whatever ballot won it; it reports
// whether owner had it, the first time asked.
func (v *votes) release(lock, owner string) bool {
	if b, done := v.store.Get(releasedKey(lock, owner)); done {
		return string(b) == "freed"
	}
	r := v.row(lock)
	freed := r.Owner == owner
	if freed {
		r.Owner, r.Ballots, r.Token = "", nil, 0
		v.save(lock, r)
	}
	v.store.Put(releasedKey(lock, owner), []byte(map[bool]string{true: "freed", false: "refused"}[freed]))
	return freed
}
