package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	kafkacheck "github.com/ddbbench/ddbbench/checkers/kafka"
	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/history"
	"github.com/ddbbench/ddbbench/nodes/catalog"
	"github.com/ddbbench/ddbbench/reports"
	"github.com/ddbbench/ddbbench/runtime/proc"
	"github.com/ddbbench/ddbbench/runtime/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/results from the code")

// samples are results files of several shapes, made by the code: the seed
// corpus of FuzzReadResults and examples for docs/results.md.
func samples(t *testing.T) map[string]*reports.Results {
	t.Helper()
	out := map[string]*reports.Results{}
	check := func(name string, o *harness.Outcome) {
		o.Wall = 0
		r := harness.Check(o).Results
		r.StartedAt = "2026-11-21T12:00:00Z"
		r.HistoryDigest = o.History.Digest()
		out[name] = &r
	}

	// A simulated register run under partitions.
	c := harness.Defaults()
	c.Strategy, _ = catalog.Lookup("single")
	c.NodeCount, c.TimeLimit, c.Rate, c.Seed = 3, 4*time.Second, 20, 3
	c.Nemesis, c.NemesisInterval, c.Recovery = []string{"partition"}, time.Second, time.Second
	o, err := harness.Simulate(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("register-partition.json", o)

	// The same run, ended by an error: never valid.
	o.Err = errors.New("n1 exited on its own (exit status 3)")
	check("register-error.json", o)
	o.Err = nil

	// Protocol warnings, as a process run would have them.
	o.Warnings = sim.Warnings{
		Counts: map[string]int{sim.WarnDuplicateReply: 2, sim.WarnUnknownInReplyTo: 1},
		Examples: map[string][]sim.Warning{
			sim.WarnDuplicateReply:   {{At: time.Second, Src: "n0", Dest: "c1", Type: "write_ok", InReplyTo: 4294967299, IsReply: true}, {At: 2 * time.Second, Src: "n0", Dest: "c1", Type: "read_ok", InReplyTo: 4294967301, IsReply: true}},
			sim.WarnUnknownInReplyTo: {{At: 1500 * time.Millisecond, Src: "n2", Dest: "c0", Type: "read_ok", InReplyTo: 999999, IsReply: true}},
		},
	}
	check("register-warnings.json", o)

	// A broadcast history: stable latency and set evidence.
	b := harness.Defaults()
	b.Workload, b.Bin, b.InitTimeout, b.Seed = "broadcast", []string{"/usr/local/bin/node", "--flag"}, 10*time.Second, 5
	b.Availability = &harness.AvailabilityRequirement{Total: true}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	ms := int64(time.Millisecond)
	op := func(i int, f string, value, result any, node string, at int64) *history.Op {
		return &history.Op{Index: i, Process: i % 2, Client: []string{"c0", "c1"}[i%2], Node: node, F: f, Value: value, Result: result,
			Outcome: history.OK, Intended: at, Invoke: at, Complete: at + ms}
	}
	bh := history.History{
		op(0, "broadcast", 0, nil, "n0", 0),
		op(1, "read", nil, []any{}, "n1", 0),
		op(2, "read", nil, []any{int64(0)}, "n1", 50*ms),
		op(3, "broadcast", 1, nil, "n1", 60*ms),
		op(4, "read", nil, []any{int64(0), int64(1)}, "n0", 120*ms),
	}
	for i, n := range []string{"n0", "n1"} {
		f := op(5+i, "read", nil, []any{int64(0), int64(1)}, n, 200*ms)
		f.Final = true
		bh = append(bh, f)
	}
	// One node flooded stderr past --node-log-limit.
	cut := []proc.LogCut{{Node: "n1", Limit: proc.DefaultLogLimit, Written: 3 << 30, Cut: 3<<30 - proc.DefaultLogLimit}}
	check("broadcast.json", &harness.Outcome{Config: b, History: bh, Duration: 300 * time.Millisecond, LogsCut: cut})

	// A kafka history with a commit regression, allowed but noted.
	k := harness.Defaults()
	k.Workload, k.Bin, k.Seed = "kafka", []string{"./kafka"}, 7
	if err := k.Validate(); err != nil {
		t.Fatal(err)
	}
	kop := func(i int, f string, key string, value, result any) *history.Op {
		return &history.Op{Index: i, Client: "c0", Node: "n0", F: f, Key: key, Value: value, Result: result, Outcome: history.OK,
			Intended: int64(10 * i), Invoke: int64(10 * i), Complete: int64(10*i + 5)}
	}
	kh := history.History{
		kop(0, "send", "a", 1, int64(0)),
		kop(1, "send", "a", 2, int64(1)),
		kop(2, "poll", "", map[string]int64{"a": 0}, map[string][]kafkacheck.Pair{"a": {{Offset: 0, Msg: 1}, {Offset: 1, Msg: 2}}}),
		kop(3, "commit", "", map[string]int64{"a": 1}, nil),
		kop(4, "assign", "", []string{"a"}, map[string]int64{"a": 0}),
	}
	check("kafka.json", &harness.Outcome{Config: k, History: kh, Duration: time.Second, Interrupted: true})

	// A bank run on distributed 2PL: transaction statistics and liveness.
	d := harness.Defaults()
	d.Strategy, _ = catalog.Lookup("2pl-detect-central")
	d.NodeCount, d.TimeLimit, d.Rate, d.Seed, d.Latency, d.Recovery = 3, 3*time.Second, 50, 11, 5*time.Millisecond, time.Second
	if err := d.SetContention("high"); err != nil {
		t.Fatal(err)
	}
	if o, err = harness.Simulate(context.Background(), d, nil); err != nil {
		t.Fatal(err)
	}
	check("bank-2pl.json", o)

	// A lock run: a lease service whose paused holder is caught, with the
	// lock figures as its headline.
	l := harness.Defaults()
	l.Strategy, _ = catalog.Lookup("lease")
	l.NodeCount, l.TimeLimit, l.Rate, l.Seed, l.Latency, l.Recovery = 3, 4*time.Second, 20, 1, 5*time.Millisecond, time.Second
	l.Nemesis, l.NemesisInterval = []string{"pause"}, time.Second
	if o, err = harness.Simulate(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	check("lock-lease-pause.json", o)

	// Two-phase commit with its coordinator killed at the worst moment:
	// atomicity, agreement, and the commit figures with blocking.
	x := harness.Defaults()
	x.Strategy, _ = catalog.Lookup("2pc")
	x.NodeCount, x.TimeLimit, x.Rate, x.Seed, x.Latency, x.Recovery = 3, 4*time.Second, 30, 5, 5*time.Millisecond, 2*time.Second
	x.Nemesis, x.NemesisInterval = []string{"kill-coordinator"}, time.Second
	if o, err = harness.Simulate(context.Background(), x, nil); err != nil {
		t.Fatal(err)
	}
	check("txn-2pc.json", o)
	return out
}

// TestSampleResults keeps testdata/results current: each sample is what the
// code writes today (go test ./reports -run TestSampleResults -update
// rewrites them), fits the schema, and reads back to the same results.
func TestSampleResults(t *testing.T) {
	for name, r := range samples(t) {
		want, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join("testdata", "results", name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./reports -run TestSampleResults -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what the code writes today: go test ./reports -run TestSampleResults -update", path)
			continue
		}
		if err := reports.ValidateResults(got); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		back, err := reports.ReadResultsFile(path)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(back)
		if !sameJSON(t, again, got) {
			t.Errorf("%s does not read back to the same results", path)
		}
	}
}

// sameJSON compares two documents as JSON values: evidence read back is a
// map, whose keys encode sorted, where the checker's struct kept its order.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	for _, p := range []struct {
		doc []byte
		v   *any
	}{{a, &x}, {b, &y}} {
		dec := json.NewDecoder(bytes.NewReader(p.doc))
		dec.UseNumber()
		if err := dec.Decode(p.v); err != nil {
			t.Fatal(err)
		}
	}
	return reflect.DeepEqual(x, y)
}
