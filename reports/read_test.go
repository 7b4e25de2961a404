package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sampleFiles are the results files in testdata/results (TestSampleResults
// keeps them what the code writes).
func sampleFiles(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "results", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no samples in testdata/results: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// edit decodes a sample, changes it and encodes it again.
func edit(t *testing.T, doc []byte, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadResultsRefusesWhatIsNotTheFormat(t *testing.T) {
	doc := sampleFiles(t)["register-partition.json"]
	if _, err := ReadResults(bytes.NewReader(doc)); err != nil {
		t.Fatalf("a sample: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"an older format", func(m map[string]any) { m["format"] = 1 }, "format 1, but this ddbbench reads format 3"},
		{"a boolean verdict", func(m map[string]any) { m["valid"] = true }, `/valid: is true, want one of "true", "false", "unknown"`},
		{"a CamelCase key", func(m map[string]any) { m["config"].(map[string]any)["TimeLimit"] = 5 }, "/config/TimeLimit: unexpected key"},
		{"a duration without its unit", func(m map[string]any) {
			c := m["config"].(map[string]any)
			c["time_limit"] = c["time_limit_s"]
			delete(c, "time_limit_s")
		}, `lacks required key "time_limit_s"`},
		{"latency nested in latency", func(m map[string]any) {
			l := m["latency"].(map[string]any)
			l["latency"] = l["overall"]
		}, "/latency/latency: unexpected key"},
		{"no verdict", func(m map[string]any) { delete(m, "valid") }, `lacks required key "valid"`},
		{"a warning kind nobody knows", func(m map[string]any) {
			m["protocol_warnings"].(map[string]any)["by_kind"] = map[string]any{"gremlins": map[string]any{"count": 1, "examples": []any{}}}
		}, "/protocol_warnings/by_kind/gremlins: unexpected key"},
	} {
		_, err := ReadResults(bytes.NewReader(edit(t, doc, tc.change)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := ReadResults(strings.NewReader(`{"format": 3`)); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func TestReadResultsFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(path, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResultsFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
}

// FuzzReadResults: the results reader never panics, and what it accepts
// fits the schema once written back and reads back to the same results.
func FuzzReadResults(f *testing.F) {
	for _, doc := range sampleFiles(f) {
		f.Add(doc)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format": 1, "valid": true}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := ReadResults(bytes.NewReader(doc))
		if err != nil {
			return
		}
		again, err := json.Marshal(res)
		if err != nil {
			t.Fatalf("accepted results do not encode: %v", err)
		}
		if err := ValidateResults(again); err != nil {
			t.Fatalf("accepted results, written back, do not fit the schema: %v\n%s", err, again)
		}
		back, err := ReadResults(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("accepted results, written back, do not read: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(res, back) {
			t.Fatalf("results changed on a round trip:\n%+v\n%+v", res, back)
		}
	})
}
