package elle

import (
	"cmp"
	"slices"
)

// addProcessEdges orders each process's committed transactions: a process
// (a logical client) runs one transaction at a time, so T1 -> T2 when it
// completed T1 before T2 (elle.core/process-graph).
func addProcessEdges(p *parsed, b *graphBuilder) {
	last := map[int]int32{}
	for i := range p.txns {
		t := &p.txns[i]
		if !t.ok() {
			continue
		}
		if prev, ok := last[t.op.Process]; ok {
			b.link(prev, int32(i), relProcess)
		}
		last[t.op.Process] = int32(i)
	}
}

// addRealtimeEdges adds T1 -> T2 whenever T1 completed (ok) before T2 was
// invoked: Adya's PL-SS order. Like elle.core/realtime-graph it adds only a
// transitive reduction: each invocation is linked from the completions not
// already implied by a later completion, a frontier about as large as the
// concurrency, so the edges grow linearly with the history.
//
// Times that tie are taken as concurrent, except that a process's next
// transaction always follows its previous one, which the simulator's
// zero-think-time clients can start at the same instant.
func addRealtimeEdges(p *parsed, b *graphBuilder) {
	type event struct {
		t      int64
		invoke bool
		i      int32
	}
	events := make([]event, 0, 2*len(p.txns))
	for i := range p.txns {
		t := &p.txns[i]
		if t.fail() {
			continue // it did not happen: nothing follows or precedes it
		}
		events = append(events, event{t.op.Invoke, true, int32(i)})
		if t.ok() {
			// An info transaction may take effect at any later time, so
			// nothing follows it.
			events = append(events, event{t.op.Complete, false, int32(i)})
		}
	}
	slices.SortFunc(events, func(a, b event) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		if a.invoke != b.invoke { // at a tie, invocations first
			if a.invoke {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.i, b.i)
	})
	invokedAt := make([]int32, len(p.txns))
	// frontier holds completed transactions in completion order; those
	// before head are implied by a later completion.
	var frontier, addedAt []int32
	head := 0
	for seq, e := range events {
		if e.invoke {
			invokedAt[e.i] = int32(seq)
			for _, a := range frontier[head:] {
				b.link(a, e.i, relRealtime)
			}
			continue
		}
		// Everything that completed before e.i was invoked precedes it, and
		// through it whatever is invoked from now on.
		for head < len(frontier) && addedAt[head] < invokedAt[e.i] {
			head++
		}
		frontier = append(frontier, e.i)
		addedAt = append(addedAt, int32(seq))
	}
	// Sequential processes: the previous transaction of the same process
	// precedes the next even when the clock shows them at one instant.
	last := map[int]int32{}
	for i := range p.txns {
		t := &p.txns[i]
		if t.fail() {
			continue
		}
		if prev, ok := last[t.op.Process]; ok && p.txns[prev].op.Complete >= t.op.Invoke {
			b.link(prev, int32(i), relRealtime)
		}
		if t.ok() {
			last[t.op.Process] = int32(i)
		} else {
			delete(last, t.op.Process)
		}
	}
}
