// Package reportstest checks, in tests, the results files a test wrote:
// every results.json and matrix.json must fit its schema.
package reportstest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/ddbbench/ddbbench/reports"
)

// ValidateTree validates every results.json and matrix.json under root
// against its schema, failing t for each that does not fit, and returns
// how many it checked.
func ValidateTree(t testing.TB, root string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var validate func([]byte) error
		switch d.Name() {
		case "results.json":
			validate = reports.ValidateResults
		case "matrix.json":
			validate = reports.ValidateMatrix
		default:
			return nil
		}
		doc, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if err := validate(doc); err != nil {
			t.Errorf("%s does not fit its schema (docs/results.md): %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walking %s: %v", root, err)
	}
	return n
}

// Store is a temporary directory for a test's results store whose results
// files are validated when the test ends (before the directory is removed).
func Store(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() { ValidateTree(t, dir) })
	return dir
}
