package suite

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/nodes"
	"github.com/ddbbench/ddbbench/nodes/catalog"
)

// withoutWall drops the last line of a matrix's Markdown, the only one
// that depends on how long the suite took.
func withoutWall(md string) string {
	lines := strings.Split(strings.TrimSpace(md), "\n")
	return strings.Join(lines[:len(lines)-1], "\n")
}

// A suite split 4 ways, each shard's matrix written and read back as
// another machine's would be, merges into the unsharded suite's matrix:
// the same cells, verdicts, figures and disagreements.
func TestFourShardsMergeIntoTheUnshardedMatrix(t *testing.T) {
	var strategies []nodes.Strategy
	for _, name := range []string{"single", "pb-async", "lww"} {
		s, err := catalog.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		strategies = append(strategies, s)
	}
	cfg := Config{Group: "replication", Strategies: strategies, Nemeses: []string{"none", "kill", "partition"}, Seeds: 2, Hunt: 3, Base: base()}
	whole, err := Execute(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var dirs []string
	for i := range 4 {
		cfg.Shard = Shard{Index: i, Count: 4}
		part, err := Execute(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := (9 + 3 - i) / 4; len(part.Cells) != want {
			t.Fatalf("shard %d/4 ran %d of the 9 cells, want %d", i, len(part.Cells), want)
		}
		js, err := json.Marshal(part)
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(dir, "shard", string(rune('0'+i)))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "matrix.json"), js, 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	shards, err := ReadShards(dirs)
	if err != nil {
		t.Fatal(err)
	}
	merged, err := Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := withoutWall(merged.Markdown()), withoutWall(whole.Markdown()); got != want {
		t.Fatalf("merged matrix differs from the unsharded one:\n%s\n---\n%s", got, want)
	}
	merged.WallS, whole.WallS = 0, 0
	a, _ := json.Marshal(merged)
	b, _ := json.Marshal(whole)
	if string(a) != string(b) {
		t.Fatalf("merged matrix.json differs from the unsharded one:\n%s\n%s", a, b)
	}
	if merged.Disagree != whole.Disagree {
		t.Fatalf("disagreements %d, unsharded %d", merged.Disagree, whole.Disagree)
	}

	// A missing or repeated shard is refused, naming it.
	if _, err := Merge(shards[:3]); err == nil || !strings.Contains(err.Error(), "3/4") {
		t.Errorf("merging 3 of 4 shards: %v", err)
	}
	if _, err := Merge(append(shards[:3:3], shards[0])); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("merging shard 0 twice: %v", err)
	}
	other := *shards[3]
	other.Seeds = 5
	if _, err := Merge(append(shards[:3:3], &other)); err == nil || !strings.Contains(err.Error(), "seeds") {
		t.Errorf("merging a shard of another suite: %v", err)
	}
}

func TestShardsSplitEveryCellOnce(t *testing.T) {
	for n := 1; n <= 5; n++ {
		for cell := range 48 {
			owners := 0
			for i := range n {
				if (Shard{Index: i, Count: n}).Has(cell) {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("%d shards: cell %d belongs to %d", n, cell, owners)
			}
		}
	}
	for _, bad := range []Shard{{Index: 4, Count: 4}, {Index: -1, Count: 2}, {Index: 0, Count: -1}} {
		if bad.Validate() == nil {
			t.Errorf("shard %+v accepted", bad)
		}
	}
}
