package lock

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/checkers/linearizable"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/history/lockops"
)

// ServiceVisualization is the name of Porcupine's rendering of a lock
// service violation in Result.Files.
const ServiceVisualization = "lock-service.html"

// ServiceOptions configure the lock service checker.
type ServiceOptions struct {
	// Timeout bounds Porcupine's search; past it the verdict is unknown.
	Timeout time.Duration
	// Fencing requires every grant's token to exceed the tokens granted
	// before it (the run's strategy promised fencing tokens).
	Fencing bool
}

// Service checks the lock service's answers (acquire and release, not what
// the holders did) for linearizability against a mutex model, one lock at a
// time, with Porcupine: no two owners granted the lock at once unless the
// first one's grant was a lease, no release by a non-holder accepted, and,
// with fencing, tokens that grow.
func Service(opts ServiceOptions) checkers.Checker { return service{opts: opts} }

type service struct{ opts ServiceOptions }

func (service) Name() string { return "lock-service" }

// ServiceViolation is the evidence of a non-linearizable lock service: the
// lock whose history failed with the fewest operations and where on it
// Porcupine got stuck.
type ServiceViolation struct {
	Lock           string   `json:"lock"`
	LockOps        int      `json:"lock_ops"`
	Linearized     int      `json:"linearized"`
	StateAfter     string   `json:"state_after"`
	LastLinearized []string `json:"last_linearized"`
	NotLinearized  []string `json:"not_linearized"` // the earliest-invoked operations that could come next, none of which fits
}

const (
	maxShownLinearized = 6
	maxShownStuck      = 8
)

func (s service) Check(h history.History) checkers.Result {
	res := checkers.Result{Checker: s.Name()}
	ops, err := lockops.Parse(h)
	if err != nil {
		res.Valid, res.Summary = checkers.Unknown, "cannot check the lock service: "+err.Error()
		return res
	}
	model := mutexModel{fencing: s.opts.Fencing}
	leases := map[string]bool{} // owner -> its grant was a lease
	leaseService := false
	for _, o := range ops {
		if o.Granted() {
			leases[o.Owner] = o.Grant.ExpiresMS > 0
			leaseService = leaseService || o.Grant.ExpiresMS > 0
		}
	}
	var pops []porcupine.Operation
	type release struct {
		lock, owner string
		token       int64
	}
	releases := map[release]int{} // a release -> its op in pops
	for _, o := range ops {
		lease, known := leases[o.Owner]
		if !known {
			lease = leaseService // an unanswered acquire's grant would have been one
		}
		p, ok := porcupineOp(o, lease)
		if !ok {
			continue
		}
		if o.F == lockops.Release {
			// A client asks again to release until it gets an answer, and
			// asking again must get the first answer (at-most-once): the
			// attempts are one release, from the first invocation to the
			// answer.
			key := release{o.Key, o.Owner, o.Token}
			if i, seen := releases[key]; seen {
				pops[i].Call = min(pops[i].Call, p.Call)
				if p.Output.(Reply).Status != Indefinite && p.Return < pops[i].Return {
					pops[i].Output, pops[i].Return, pops[i].Metadata = p.Output, p.Return, p.Metadata
				}
				continue
			}
			releases[key] = len(pops)
		}
		pops = append(pops, p)
	}
	pm := model.porcupineModel()
	parts := partitionByLock(pops)
	start := time.Now()
	verdict, info := porcupine.CheckOperationsVerbose(pm, pops, s.opts.Timeout)
	passed := s.opts.Timeout > 0 && time.Since(start) >= s.opts.Timeout
	fencing := ""
	if s.opts.Fencing {
		fencing = ", fencing tokens growing"
	}
	switch verdict {
	case porcupine.Ok:
		res.Valid = checkers.Valid
		res.Summary = fmt.Sprintf("lock service linearizable: %d acquires and releases on %d locks%s", len(pops), len(parts), fencing)
		return res
	case porcupine.Unknown:
		res.Valid = checkers.Unknown
		res.Summary = fmt.Sprintf("unknown: the lock service check of %d operations on %d locks timed out after %s", len(pops), len(parts), s.opts.Timeout)
		return res
	}
	p, ok := linearizable.SmallestFailing(pm, parts, info.PartialLinearizations(), s.opts.Timeout, passed)
	if !ok {
		res.Valid, res.Summary = checkers.Unknown, "unknown: Porcupine reported a violation but no lock failed"
		return res
	}
	v := serviceViolation(model, parts[p], info.PartialLinearizations()[p])
	res.Valid, res.Evidence = checkers.Invalid, v
	res.Summary = fmt.Sprintf("lock service not linearizable: lock %s, %d operations (stuck at %s); see %s", v.Lock, v.LockOps, v.StateAfter, ServiceVisualization)
	var html bytes.Buffer
	if err := porcupine.Visualize(pm, info, &html); err == nil {
		res.Files = map[string][]byte{ServiceVisualization: html.Bytes()}
	}
	return res
}

// porcupineOp converts an acquire or release. Left out, because they
// cannot change the verdict: definite failures (nothing happened),
// refusals of an acquire (see mutexModel), and unanswered acquires, which
// can only make their owner the holder: that forbids others' grants and
// allows nothing, since the owner releases only with the token of a grant
// it was told of, so a linearization without them is always as good.
func porcupineOp(o lockops.Op, lease bool) (porcupine.Operation, bool) {
	if o.F != lockops.Acquire && o.F != lockops.Release {
		return porcupine.Operation{}, false
	}
	call := Call{F: o.F, Lock: o.Key, Owner: o.Owner, Token: o.Token, Lease: lease}
	reply := Reply{Status: Indefinite}
	ret := int64(math.MaxInt64)
	switch {
	case o.Outcome == history.Fail:
		return porcupine.Operation{}, false
	case o.Outcome == history.Info && o.F == lockops.Acquire:
		return porcupine.Operation{}, false
	case o.Outcome == history.Info:
	case o.F == lockops.Acquire && o.Code != 0:
		return porcupine.Operation{}, false
	case o.F == lockops.Acquire:
		reply = Reply{Status: Granted, Token: o.Grant.Token, Lease: o.Grant.ExpiresMS > 0}
		ret = o.Complete
	case o.Code != 0:
		reply, ret = Reply{Status: NotHolder}, o.Complete
	default:
		reply, ret = Reply{Status: Released}, o.Complete
	}
	return porcupine.Operation{ClientId: o.Process, Input: call, Call: o.Invoke, Output: reply, Return: ret, Metadata: o.Op}, true
}

func serviceViolation(m mutexModel, part []porcupine.Operation, partials [][]int) ServiceViolation {
	best := linearizable.Longest(partials)
	state := State{}
	in := make([]bool, len(part))
	for _, id := range best {
		_, state = m.step(state, part[id].Input.(Call), part[id].Output.(Reply))
		in[id] = true
	}
	v := ServiceViolation{Lock: part[0].Input.(Call).Lock, LockOps: len(part), Linearized: len(best), StateAfter: state.String()}
	for _, id := range best[max(0, len(best)-maxShownLinearized):] {
		v.LastLinearized = append(v.LastLinearized, describeOp(part[id]))
	}
	var rest []int
	for id := range part {
		if !in[id] {
			rest = append(rest, id)
		}
	}
	sort.SliceStable(rest, func(i, j int) bool { return part[rest[i]].Call < part[rest[j]].Call })
	for _, id := range rest[:min(len(rest), maxShownStuck)] {
		v.NotLinearized = append(v.NotLinearized, describeOp(part[id]))
	}
	return v
}

func describeOp(op porcupine.Operation) string {
	s := describe(op.Input.(Call), op.Output.(Reply))
	if h, ok := op.Metadata.(*history.Op); ok {
		s += fmt.Sprintf(" [index %d, %s, %s..%s]", h.Index, h.Client, ms(h.Invoke), ms(h.Complete))
	}
	return s
}
