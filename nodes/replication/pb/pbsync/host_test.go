package pbsync

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/runtime/nodehost"
)

// The node also runs as a Maelstrom binary (real timers, JSON on stdio): a
// one-node cluster, where n0 is primary with no backups, answers at once.
func TestRunsUnderTheNodeHost(t *testing.T) {
	in := strings.Join([]string{
		`{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}`,
		`{"src":"c0","dest":"n0","body":{"type":"write","msg_id":2,"key":1,"value":7}}`,
		`{"src":"c0","dest":"n0","body":{"type":"read","msg_id":3,"key":1}}`,
		`{"src":"c0","dest":"n0","body":{"type":"cas","msg_id":4,"key":1,"from":6,"to":8}}`,
	}, "\n") + "\n"
	var out, errs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := nodehost.Run(ctx, New, strings.NewReader(in), &out, &errs, t.TempDir()); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	for _, want := range []string{`"type":"init_ok"`, `"type":"write_ok"`, `"value":7`, `"code":22`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %s in the output:\n%s\nstderr:\n%s", want, out.String(), errs.String())
		}
	}
}
