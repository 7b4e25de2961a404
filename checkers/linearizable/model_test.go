package linearizable

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/ddbbench/ddbbench/history"
)

func TestStep(t *testing.T) {
	absent, one := State{}, State{Present: true, Value: 1}
	two := State{Present: true, Value: 2}
	casOneToTwo := Call{F: "cas", From: 1, To: 2}
	cases := []struct {
		name   string
		state  State
		call   Call
		reply  Reply
		ok     bool
		result State
	}{
		{"read the value", one, Call{F: "read"}, Reply{Status: Done, Value: 1}, true, one},
		{"read another value", one, Call{F: "read"}, Reply{Status: Done, Value: 2}, false, one},
		{"read a value from absent", absent, Call{F: "read"}, Reply{Status: Done, Value: 0}, false, absent},
		{"read absent", absent, Call{F: "read"}, Reply{Status: Absent}, true, absent},
		{"read absent from present", one, Call{F: "read"}, Reply{Status: Absent}, false, one},
		{"read mismatch", one, Call{F: "read"}, Reply{Status: Mismatch}, false, one},
		{"indefinite read", one, Call{F: "read"}, Reply{Status: Indefinite}, true, one},
		{"write", absent, Call{F: "write", Value: 2}, Reply{Status: Done}, true, two},
		{"indefinite write", one, Call{F: "write", Value: 2}, Reply{Status: Indefinite}, true, two},
		{"write absent", one, Call{F: "write", Value: 2}, Reply{Status: Absent}, false, one},
		{"cas matches", one, casOneToTwo, Reply{Status: Done}, true, two},
		{"cas on another value", two, casOneToTwo, Reply{Status: Done}, false, two},
		{"cas on absent", absent, casOneToTwo, Reply{Status: Done}, false, absent},
		{"cas 20 on absent", absent, casOneToTwo, Reply{Status: Absent}, true, absent},
		{"cas 20 on present", two, casOneToTwo, Reply{Status: Absent}, false, two},
		{"cas 22 on another value", two, casOneToTwo, Reply{Status: Mismatch}, true, two},
		{"cas 22 on absent", absent, casOneToTwo, Reply{Status: Mismatch}, true, absent},
		{"cas 22 on its from", one, casOneToTwo, Reply{Status: Mismatch}, false, one},
		{"indefinite cas that matches", one, casOneToTwo, Reply{Status: Indefinite}, true, two},
		{"indefinite cas that does not", two, casOneToTwo, Reply{Status: Indefinite}, true, two},
		{"unknown function", one, Call{F: "append"}, Reply{Status: Done}, false, one},
	}
	model := RegisterModel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, next := model.Step(tc.state, tc.call, tc.reply)
			if ok != tc.ok || (ok && next.(State) != tc.result) {
				t.Errorf("Step(%v, %+v, %+v) = %v, %v; want %v, %v", tc.state, tc.call, tc.reply, ok, next, tc.ok, tc.result)
			}
		})
	}
}

func TestStepContextStopsWhenCancelled(t *testing.T) {
	model := RegisterModel()
	ctx, cancel := context.WithCancel(context.Background())
	write := Call{F: "write", Value: 1}
	if ok, _ := model.StepContext(ctx, State{}, write, Reply{Status: Done}); !ok {
		t.Fatal("a live context refused a legal step")
	}
	cancel()
	if ok, _ := model.StepContext(ctx, State{}, write, Reply{Status: Done}); ok {
		t.Error("a cancelled context still stepped")
	}
}

func TestHashAgreesWithEqual(t *testing.T) {
	model := RegisterModel()
	states := []State{{}, {Present: true, Value: 0}, {Present: true, Value: 1}, {Present: true, Value: -1}, {Present: true, Value: math.MaxInt}}
	for _, a := range states {
		for _, b := range states {
			equal := model.Equal(a, b)
			if equal != (a == b) {
				t.Errorf("Equal(%v, %v) = %v", a, b, equal)
			}
			if equal && model.Hash(a) != model.Hash(b) {
				t.Errorf("equal states %v, %v hash differently", a, b)
			}
			if !equal && model.Hash(a) == model.Hash(b) {
				t.Errorf("states %v and %v collide", a, b) // allowed, but not for these
			}
		}
	}
	if model.Init().(State) != (State{}) {
		t.Errorf("initial state %v, want absent", model.Init())
	}
}

func TestDescriptions(t *testing.T) {
	model := RegisterModel()
	for _, tc := range []struct {
		call  Call
		reply Reply
		want  string
	}{
		{Call{F: "read"}, Reply{Status: Done, Value: 3}, "read() → 3"},
		{Call{F: "read"}, Reply{Status: Absent}, "read() → absent (20)"},
		{Call{F: "write", Value: 4}, Reply{Status: Done}, "write(4) → ok"},
		{Call{F: "write", Value: 4}, Reply{Status: Indefinite}, "write(4) → ?"},
		{Call{F: "cas", From: 1, To: 2}, Reply{Status: Mismatch}, "cas(1 → 2) → mismatch (22)"},
	} {
		if got := model.DescribeOperation(tc.call, tc.reply); got != tc.want {
			t.Errorf("DescribeOperation(%+v, %+v) = %q, want %q", tc.call, tc.reply, got, tc.want)
		}
	}
	if got := model.DescribeState(State{}); got != "absent" {
		t.Errorf("DescribeState(absent) = %q", got)
	}
	if got := model.DescribeState(State{Present: true, Value: 7}); got != "7" {
		t.Errorf("DescribeState(7) = %q", got)
	}
	op := &history.Op{Index: 4, Process: 2, Client: "c2", Node: "n0", Outcome: history.Info}
	if got := model.DescribeOperationMetadata(op); got != "history index 4, process 2, c2 → n0, info" {
		t.Errorf("DescribeOperationMetadata = %q", got)
	}
}

func TestOperationsDropsWhatCannotMatter(t *testing.T) {
	h := hist(
		write(0, "1", 1, 0, 1),
		fail(write(1, "1", 2, 2, 3)),
		info(read(2, "1", 1, 4, 5)),
		info(write(3, "1", 3, 6, 7)),
	)
	ops, err := Operations(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 {
		t.Fatalf("%d operations, want the ok write and the info write", len(ops))
	}
	infoWrite := ops[1]
	if infoWrite.Return != math.MaxInt64 || infoWrite.Output.(Reply).Status != Indefinite {
		t.Errorf("info write returns at %d with %+v; want +infinity, indefinite", infoWrite.Return, infoWrite.Output)
	}
	if infoWrite.Metadata.(*history.Op) != h[3] || infoWrite.ClientId != 3 || infoWrite.Call != 6 {
		t.Errorf("info write lost its origin: %+v", infoWrite)
	}
}

func TestPartitionsInKeyOrder(t *testing.T) {
	var h history.History
	for _, k := range []string{"b", "10", "2", "a", "07", "7", "-1", "2"} {
		h = append(h, write(0, k, 1, 0, 1))
	}
	ops, err := Operations(hist(h...))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	var sizes []int
	for _, part := range partitionByKey(ops) {
		keys = append(keys, part[0].Input.(Call).Key)
		sizes = append(sizes, len(part))
	}
	if want := []string{"-1", "2", "07", "7", "10", "a", "b"}; !slices.Equal(keys, want) {
		t.Errorf("partition keys %q, want %q", keys, want)
	}
	if want := []int{1, 2, 1, 1, 1, 1, 1}; !slices.Equal(sizes, want) {
		t.Errorf("partition sizes %v, want %v", sizes, want)
	}
}
