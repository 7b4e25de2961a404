package suite

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/ddbbench/ddbbench/harness"
)

// ReadMatrix reads a matrix.json that a suite (or one shard of it) wrote.
func ReadMatrix(path string) (*Matrix, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Matrix
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: not a suite's matrix.json: %w", path, err)
	}
	return &m, nil
}

// ReadShards reads the shard matrices in dirs: each a suite's results
// directory (holding matrix.json), or a directory with such directories
// anywhere below it, as a store or a folder of downloaded artifacts has.
// Symbolic links below a directory (a store's latest) are not followed,
// so no shard is read twice through one.
func ReadShards(dirs []string) ([]*Matrix, error) {
	var shards []*Matrix
	for _, dir := range dirs {
		paths, err := matrixFiles(dir)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", harness.ErrBadConfig, err)
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("%w: %s holds no matrix.json (give the directories that suite --shard wrote)", harness.ErrBadConfig, dir)
		}
		for _, p := range paths {
			m, err := ReadMatrix(p)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", harness.ErrBadConfig, err)
			}
			shards = append(shards, m)
		}
	}
	return shards, nil
}

func matrixFiles(dir string) ([]string, error) {
	direct := filepath.Join(dir, "matrix.json")
	if _, err := os.Stat(direct); err == nil {
		return []string{direct}, nil
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	var paths []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && d.Name() == "matrix.json" {
			paths = append(paths, path)
		}
		return nil
	})
	return paths, err
}

// Merge joins the matrices of a sharded suite's shards into the matrix the
// unsharded suite gives: the cells in the suite's order and the same
// disagreements. Its wall time is the slowest shard's, what one waits for
// when the shards run at once. The shards must be every shard of one suite
// (the same group, strategies, nemeses, seeds, hunt and run configuration),
// each once.
func Merge(shards []*Matrix) (*Matrix, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("%w: no shards to merge", harness.ErrBadConfig)
	}
	first := shards[0]
	if first.Shard == nil {
		return nil, fmt.Errorf("%w: the matrix of suite %q is not a shard (it was run without --shard)", harness.ErrBadConfig, first.Group)
	}
	count := first.Shard.Count
	seen := make([]bool, count)
	byCell := map[[3]string]*Cell{}
	costs := map[string]*Cell{}
	merged := &Matrix{Format: first.Format, Group: first.Group, Strategies: first.Strategies, Nemeses: first.Nemeses,
		Contention: first.Contention, Seeds: first.Seeds, FirstSeed: first.FirstSeed, Hunt: first.Hunt, Config: first.Config}
	for _, m := range shards {
		if m.Shard == nil || m.Shard.Count != count {
			return nil, fmt.Errorf("%w: shards of different splits: %s and %s", harness.ErrBadConfig, shardName(first), shardName(m))
		}
		if why := sameSuite(first, m); why != "" {
			return nil, fmt.Errorf("%w: shard %s is not of the same suite as shard %s: %s differ", harness.ErrBadConfig, shardName(m), shardName(first), why)
		}
		if seen[m.Shard.Index] {
			return nil, fmt.Errorf("%w: shard %s given twice", harness.ErrBadConfig, shardName(m))
		}
		seen[m.Shard.Index] = true
		merged.WallS = max(merged.WallS, m.WallS)
		for _, c := range m.Cells {
			byCell[[3]string{c.Strategy, c.Contention, c.Nemesis}] = c
		}
		for _, c := range m.Costs {
			costs[c.Strategy] = c
		}
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: shards %s are missing", harness.ErrBadConfig, strings.Join(missing, ", "))
	}
	levels := merged.Contention
	if len(levels) == 0 {
		levels = []string{""}
	}
	// The suite's order: strategies, then contention levels, then nemeses.
	for _, s := range merged.Strategies {
		for _, level := range levels {
			for _, nem := range merged.Nemeses {
				c, ok := byCell[[3]string{s, level, nem}]
				if !ok {
					return nil, fmt.Errorf("%w: no shard has the cell %s under %s", harness.ErrBadConfig, s, nem)
				}
				merged.Cells = append(merged.Cells, c)
				if !c.Agrees {
					merged.Disagree++
				}
			}
		}
	}
	if len(costs) > 0 {
		for _, s := range merged.Strategies {
			if c, ok := costs[s]; ok {
				merged.Costs = append(merged.Costs, c)
			}
		}
	}
	return merged, nil
}

func shardName(m *Matrix) string {
	if m.Shard == nil {
		return "(unsharded)"
	}
	return fmt.Sprintf("%d/%d", m.Shard.Index, m.Shard.Count)
}

// sameSuite names what differs between two shards' suites, or "".
func sameSuite(a, b *Matrix) string {
	var diffs []string
	if a.Group != b.Group {
		diffs = append(diffs, "groups")
	}
	if !slices.Equal(a.Strategies, b.Strategies) {
		diffs = append(diffs, "strategies")
	}
	if !slices.Equal(a.Nemeses, b.Nemeses) || !slices.Equal(a.Contention, b.Contention) {
		diffs = append(diffs, "nemeses")
	}
	if a.Seeds != b.Seeds || a.FirstSeed != b.FirstSeed || a.Hunt != b.Hunt {
		diffs = append(diffs, "seeds")
	}
	if !sameJSON(a.Config, b.Config) {
		diffs = append(diffs, "run configurations")
	}
	return strings.Join(diffs, ", ")
}

// sameJSON reports whether two values encode to the same JSON, whatever
// the order of their objects' keys.
func sameJSON(a, b any) bool {
	decoded := func(v any) any {
		js, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(js, &out)
		return out
	}
	return reflect.DeepEqual(decoded(a), decoded(b))
}
