package raftlock

import (
	"testing"

	"github.com/ddbbench/ddbbench/nodes/locking/internal/locktest"
)

func TestExpectations(t *testing.T) { locktest.RequireExpectations(t, Strategy()) }

// Safe under every fault, over three seeds each, with the resource fenced
// by the grants' log indices.
func TestValidUnderFaults(t *testing.T) {
	locktest.RequireValid(t, Strategy(), locktest.Nemeses, 3)
}

// The machine grants under the log index of the grant, the fencing token,
// and answers an owner asking again with its first grant.
func TestMachineTokensAreLogIndices(t *testing.T) {
	m := newMachine()
	grant := func(owner string, index int) answer {
		t.Helper()
		return m.Apply(Command{F: "acquire", Lock: "l0", Owner: owner}, index).(answer)
	}
	if a := grant("a1", 7); a.err != nil || a.grant.Token != 7 {
		t.Fatalf("first grant: %+v", a)
	}
	if a := grant("a2", 8); a.err == nil {
		t.Fatalf("a second owner was granted: %+v", a)
	}
	if a := grant("a1", 9); a.err != nil || a.grant.Token != 7 {
		t.Fatalf("a1 asking again: %+v, want its first grant (token 7)", a)
	}
	if a := m.Apply(Command{F: "release", Lock: "l0", Owner: "a1", Token: 7}, 10).(answer); a.err != nil {
		t.Fatalf("release: %v", a.err)
	}
	if a := grant("a2", 12); a.err != nil || a.grant.Token != 12 {
		t.Fatalf("after the release: %+v, want token 12", a)
	}
}
