package lock

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/anishathalye/porcupine"

	"github.com/ddbbench/ddbbench/history"
)

// Call is a lock operation's invocation, the Input of a porcupine.Operation
// for the mutex model.
type Call struct {
	F     string // "acquire" or "release"
	Lock  string
	Owner string
	Token int64 // release: the token released
	// Lease says the owner's grant was a lease, which the service may let
	// lapse at any time as far as the model can tell: the model has no
	// clock, so whether a lease lapsed early is for the mutual-exclusion
	// checker to judge from what its holders did.
	Lease bool
}

// Status is how a lock operation ended, as far as the model cares.
type Status uint8

const (
	Granted    Status = iota // acquire_ok
	Released                 // release_ok
	NotHolder                // release refused: error 1001
	Indefinite               // no answer: it may have taken effect, or not
)

// Reply is a lock operation's completion.
type Reply struct {
	Status Status
	Token  int64 // Granted: the token
	Lease  bool  // Granted: the grant was a lease (it reported expires_ms)
}

// State is one lock: free (Holder ""), or held by an owner under a token.
// Max is the highest token granted, kept when checking fencing tokens.
type State struct {
	Holder string
	Token  int64
	Lease  bool
	Max    int64
}

func (s State) String() string {
	if s.Holder == "" {
		return "free"
	}
	lease := ""
	if s.Lease {
		lease = " (lease)"
	}
	return fmt.Sprintf("held by %s, token %d%s", s.Holder, s.Token, lease)
}

// mutexModel is the sequential specification of a lock service: one
// holder at a time; a grant to the holder again is the same grant (an
// owner asking again is how a client learns whether it got the lock); a
// release by the holder frees the lock and one by anybody else is refused.
// Leases may lapse at any point, so a lease's holder can be replaced by a
// grant and its release may find it gone. Refusals of an acquire are not
// modelled at all: a service may refuse when nobody holds the lock (votes
// split), so a refusal proves nothing, and neither are unanswered
// acquires (see porcupineOp). With fencing, every new grant's token must
// exceed every earlier one's.
type mutexModel struct {
	fencing bool
}

func (m mutexModel) step(s State, c Call, r Reply) (bool, State) {
	heldByCaller := s.Holder == c.Owner && s.Holder != ""
	switch c.F {
	case "acquire":
		switch r.Status {
		case Granted:
			if s.Holder != "" && !heldByCaller && !s.Lease {
				return false, s // a second holder
			}
			again := heldByCaller && s.Token == r.Token
			if m.fencing && !again && r.Token <= s.Max {
				return false, s // a fencing token that does not grow
			}
			return true, State{Holder: c.Owner, Token: r.Token, Lease: r.Lease, Max: max(s.Max, r.Token)}
		}
	case "release":
		holds := heldByCaller && s.Token == c.Token
		free := State{Max: s.Max}
		switch r.Status {
		case Released:
			if holds {
				return true, free
			}
			return c.Lease, s // a lapsed lease's release may be answered ok, changing nothing
		case NotHolder:
			if holds {
				return c.Lease, free // refused only if the lease lapsed
			}
			return true, s
		case Indefinite:
			if holds {
				return true, free
			}
			return true, s
		}
	}
	return false, s
}

// porcupineModel is the mutex model for Porcupine, partitioned by lock.
func (m mutexModel) porcupineModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByLock,
		Init:      func() any { return State{} },
		Step: func(state, input, output any) (bool, any) {
			return m.step(state.(State), input.(Call), output.(Reply))
		},
		StepContext: func(ctx context.Context, state, input, output any) (bool, any) {
			if ctx.Err() != nil {
				return false, state
			}
			return m.step(state.(State), input.(Call), output.(Reply))
		},
		Equal: func(a, b any) bool { return a.(State) == b.(State) },
		Hash: func(state any) uint64 {
			s := state.(State)
			h := fnv.New64a()
			fmt.Fprintf(h, "%s\x00%d\x00%v\x00%d", s.Holder, s.Token, s.Lease, s.Max)
			return h.Sum64()
		},
		DescribeOperation: func(input, output any) string { return describe(input.(Call), output.(Reply)) },
		DescribeState:     func(state any) string { return state.(State).String() },
		DescribeOperationMetadata: func(meta any) string {
			op, ok := meta.(*history.Op)
			if !ok || op == nil {
				return ""
			}
			return fmt.Sprintf("history index %d, process %d, %s → %s, %s", op.Index, op.Process, op.Client, op.Node, op.Outcome)
		},
	}
}

func describe(c Call, r Reply) string {
	call := fmt.Sprintf("acquire(%s)", c.Owner)
	if c.F == "release" {
		call = fmt.Sprintf("release(%s, %d)", c.Owner, c.Token)
	}
	switch r.Status {
	case Granted:
		lease := ""
		if r.Lease {
			lease = " lease"
		}
		return fmt.Sprintf("%s → token %d%s", call, r.Token, lease)
	case Released:
		return call + " → ok"
	case NotHolder:
		return call + " → not holder (1001)"
	}
	return call + " → ?"
}

// partitionByLock splits the operations by lock, in first-seen order.
func partitionByLock(ops []porcupine.Operation) [][]porcupine.Operation {
	index := map[string]int{}
	var parts [][]porcupine.Operation
	for _, op := range ops {
		lock := op.Input.(Call).Lock
		i, ok := index[lock]
		if !ok {
			i = len(parts)
			index[lock] = i
			parts = append(parts, nil)
		}
		parts[i] = append(parts[i], op)
	}
	return parts
}
