package raft

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// Machine is the state machine a Raft log drives (§2, replicated state
// machines): Raft decides the order in which commands are applied, the
// machine what a command is and what it does. Commands are Cs, which must
// survive JSON: they travel in AppendEntries and lie in the store.
type Machine[C any] interface {
	// Types are the client request types the machine serves.
	Types() []string
	// Decode reads a client request into a command.
	Decode(req maelstrom.Msg) (C, error)
	// ReadOnly reports commands that change nothing, which a leader
	// serves by ReadIndex (thesis §6.4) instead of through the log.
	ReadOnly(cmd C) bool
	// Apply executes a committed command, the log's index-th entry, and
	// returns its answer. Every server applies the same commands in the
	// same order, so Apply must depend on nothing else.
	Apply(cmd C, index int) Answer
	// Read answers a read-only command from the current state.
	Read(cmd C) Answer
	// Relay answers req with the reply the leader gave to the request a
	// follower forwarded, so that a definite error stays definite.
	Relay(env nodes.Env, req, resp maelstrom.Msg, err error)
}

// Answer is a command's outcome, as it is sent to the client, and sent
// again to a duplicate of the request (§8).
type Answer interface {
	Reply(env nodes.Env, req maelstrom.Msg)
}

// register is the lin-kv register as a Raft state machine.
type register struct{ kv kvstate.Map }

func newRegister() *register { return &register{kv: kvstate.Map{}} }

func (*register) Types() []string { return []string{"read", "write", "cas"} }

func (*register) Decode(req maelstrom.Msg) (kvstate.Op, error) {
	op, _, err := kvstate.Decode(req)
	return op, err
}

func (*register) ReadOnly(op kvstate.Op) bool { return !op.Mutates() }

func (r *register) Apply(op kvstate.Op, _ int) Answer {
	return registerAnswer{kvstate.Apply(r.kv, op), op}
}

func (r *register) Read(op kvstate.Op) Answer { return r.Apply(op, 0) }

func (*register) Relay(env nodes.Env, req, resp maelstrom.Msg, err error) {
	kvstate.ReplyWith(env, req, resp, err)
}

type registerAnswer struct {
	res kvstate.Result
	op  kvstate.Op
}

func (a registerAnswer) Reply(env nodes.Env, req maelstrom.Msg) { a.res.Reply(env, req, a.op) }
