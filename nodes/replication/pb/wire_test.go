package pb

import (
	"reflect"
	"testing"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes/kvstate"
)

// Bodies between nodes must survive JSON, as they do between processes.
func TestBodiesSurviveTheWire(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		body any
		back func(maelstrom.Msg) (any, error)
	}{
		{typeHeartbeat, HeartbeatBody{Epoch: 3, Primary: "n1", Status: statusPrimary, Seq: 7, View: []string{"n2", "n3"}, VV: 4},
			func(m maelstrom.Msg) (any, error) { return maelstrom.Decode[HeartbeatBody](m) }},
		{typeUpdate, UpdateBody{Epoch: 3, Seq: 8, View: []string{"n2"}, VV: 5, Key: 4, Value: 9},
			func(m maelstrom.Msg) (any, error) { return maelstrom.Decode[UpdateBody](m) }},
		{typeSnapshot, SnapshotBody{Epoch: 3, Seq: 8, View: []string{"n2"}, VV: 5, Data: [][2]int{{0, 1}, {4, 9}}},
			func(m maelstrom.Msg) (any, error) { return maelstrom.Decode[SnapshotBody](m) }},
		{typeNack, NackBody{Epoch: 2, Primary: "n0"},
			func(m maelstrom.Msg) (any, error) { return maelstrom.Decode[NackBody](m) }},
		{typeJoin, JoinBody{Epoch: 2, Token: -1 << 60},
			func(m maelstrom.Msg) (any, error) { return maelstrom.Decode[JoinBody](m) }},
		{typeForward, ForwardBody{Op: kvstate.Op{F: "cas", Key: 1, From: 2, To: 3}},
			func(m maelstrom.Msg) (any, error) { return maelstrom.Decode[ForwardBody](m) }},
	} {
		line, err := maelstrom.AppendLine(nil, maelstrom.Msg{Src: "n0", Dest: "n1", Type: tc.typ, MsgID: 5, Body: tc.body})
		if err != nil {
			t.Fatal(err)
		}
		msg, err := maelstrom.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tc.back(msg)
		if err != nil || !reflect.DeepEqual(got, tc.body) {
			t.Errorf("%s: sent %+v, got %+v (%v)", tc.typ, tc.body, got, err)
		}
	}
}
