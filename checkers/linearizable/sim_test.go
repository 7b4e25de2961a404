package linearizable

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/maelstrom"
)

// simConfig shapes a simulated register workload.
type simConfig struct {
	processes   int // concurrent clients
	keys        int
	ops         int
	values      int // writes and cas draw values from [0, values)
	maxGap      int // idle time between a client's operations, in ns
	maxSpan     int // time from invocation to effect, and from effect to completion
	infoPercent int
	failPercent int
}

// A chooser returns a number in [0, n): math/rand in benchmarks, rapid's
// draws in property tests, so that rapid can shrink the histories.
type chooser func(n int) int

type simOp struct {
	op      *history.Op
	effect  int64 // when the operation takes effect on the register
	applies bool  // whether it takes effect at all
	seq     int
}

// simulate produces a linearizable history: every operation that applies
// takes effect at an instant between its invocation and completion (an info
// op possibly later), and results come from applying operations to real
// registers in the order of those instants. Clients run closed-loop, the
// idlest one going next, so their operations overlap.
func simulate(cfg simConfig, pick chooser) history.History {
	free := make([]int64, cfg.processes)  // when each client may invoke again
	process := make([]int, cfg.processes) // each client's current process id
	for c := range process {
		process[c] = c
	}
	nextProcess := cfg.processes

	ops := make([]*simOp, 0, cfg.ops)
	for i := range cfg.ops {
		c := 0
		for j := range free {
			if free[j] < free[c] {
				c = j
			}
		}
		invoke := free[c] + 1 + int64(pick(cfg.maxGap+1))
		effect := invoke + int64(pick(cfg.maxSpan+1))
		complete := effect + int64(pick(cfg.maxSpan+1))
		free[c] = complete

		op := &history.Op{
			Process: process[c],
			Key:     strconv.Itoa(pick(cfg.keys)),
			Outcome: history.OK,
			Invoke:  invoke, Intended: invoke, Complete: complete,
		}
		switch pick(3) {
		case 0:
			op.F = "read"
		case 1:
			op.F, op.Value = "write", pick(cfg.values)
		default:
			op.F, op.Value = "cas", [2]int{pick(cfg.values), pick(cfg.values)}
		}
		s := &simOp{op: op, effect: effect, applies: true, seq: i}
		switch roll := pick(100); {
		case roll < cfg.infoPercent:
			op.Outcome, op.Error = history.Info, &history.Error{Code: 0, Text: "timeout"}
			s.applies = pick(2) == 0
			s.effect += int64(pick(3 * (cfg.maxSpan + 1))) // may land after the client gave up
			process[c] = nextProcess                       // a client continues under a new id
			nextProcess++
		case roll < cfg.infoPercent+cfg.failPercent:
			op.Outcome, op.Error = history.Fail, &history.Error{Code: 11, Text: "temporarily unavailable"}
			s.applies = false
		}
		ops = append(ops, s)
	}

	byEffect := slices.Clone(ops)
	slices.SortFunc(byEffect, func(a, b *simOp) int {
		return cmp.Or(cmp.Compare(a.effect, b.effect), cmp.Compare(a.seq, b.seq))
	})
	registers := map[string]State{}
	for _, s := range byEffect {
		if s.applies {
			registers[s.op.Key] = apply(s.op, registers[s.op.Key])
		}
	}

	slices.SortStableFunc(ops, func(a, b *simOp) int { return cmp.Compare(a.op.Complete, b.op.Complete) })
	h := make(history.History, len(ops))
	for i, s := range ops {
		s.op.Index = i
		h[i] = s.op
	}
	return h
}

// apply performs op on a register, recording its result on ok ops.
func apply(op *history.Op, reg State) State {
	ok := op.Outcome == history.OK
	switch op.F {
	case "read":
		if ok && reg.Present {
			op.Result = reg.Value
		} else if ok {
			op.Error = &history.Error{Code: maelstrom.KeyDoesNotExist}
		}
	case "write":
		return State{Present: true, Value: op.Value.(int)}
	case "cas":
		fromTo := op.Value.([2]int)
		switch {
		case reg.Present && reg.Value == fromTo[0]:
			return State{Present: true, Value: fromTo[1]}
		case ok && !reg.Present:
			op.Error = &history.Error{Code: maelstrom.KeyDoesNotExist}
		case ok:
			op.Error = &history.Error{Code: maelstrom.PreconditionFailed}
		}
	}
	return reg
}
