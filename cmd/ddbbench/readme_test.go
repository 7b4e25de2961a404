package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/internal/mdcmd"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's sample output with what its command prints now")

const readmePath = "../../README.md"

// Only these differ from run to run of the same command and seed.
var (
	wallRe    = regexp.MustCompile(`in [0-9.]+s wall\)`)
	resultsRe = regexp.MustCompile(`(?m)^(  results\s+)\S+$`)
)

func normalizeSummary(s string) string {
	s = wallRe.ReplaceAllString(s, "in (wall)s wall)")
	return resultsRe.ReplaceAllString(s, "${1}(results dir)")
}

// The README's sample output of its first run is what that command prints:
// every figure, checker line and count, all but the wall time and the
// results directory. go test ./cmd/ddbbench -run TestReadmeSampleOutput
// -update-readme rewrites the sample after a change to what runs print.
func TestReadmeSampleOutput(t *testing.T) {
	readmePath, err := filepath.Abs(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	var sample *mdcmd.Command
	for _, c := range mdcmd.Parse(readme) {
		if c.Output != "" {
			sample = &c
			break
		}
	}
	if sample == nil || !strings.HasPrefix(sample.Text, "ddbbench run ") {
		t.Fatalf("the README shows no sample output of a ddbbench run command (found %+v)", sample)
	}
	if strings.ContainsAny(sample.Text, `"'$\`) {
		t.Fatalf("README line %d: the sample's command must be plain words to run in-process: %s", sample.Line, sample.Text)
	}
	t.Chdir(t.TempDir()) // the command writes store/ in the working directory
	code, stdout, stderr := cliRun(t, strings.Fields(sample.Text)[1:]...)
	if code != 0 || stderr != "" {
		t.Fatalf("README line %d: %s: exit %d, stderr %q", sample.Line, sample.Text, code, stderr)
	}
	if normalizeSummary(stdout) == normalizeSummary(sample.Output) {
		return
	}
	if *updateReadme {
		updated := strings.Replace(readme, "```text\n"+sample.Output+"```", "```text\n"+stdout+"```", 1)
		if err := os.WriteFile(readmePath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("README line %d: sample output updated", sample.OutputLine)
		return
	}
	t.Fatalf("README line %d shows, for %q:\n%s\nbut it prints:\n%s\n(go test ./cmd/ddbbench -run TestReadmeSampleOutput -update-readme rewrites the sample)",
		sample.OutputLine, sample.Text, sample.Output, stdout)
}

func TestNormalizeSummaryKeepsFigures(t *testing.T) {
	a := "VALID  x  (seed 7, sim, 40.5s run in 0.27s wall)\n  operations    6370 ok\n  results       store/x/20261201T213708.095\n"
	b := "VALID  x  (seed 7, sim, 40.5s run in 12.01s wall)\n  operations    6370 ok\n  results       " + filepath.Join("a", "b") + "\n"
	if normalizeSummary(a) != normalizeSummary(b) {
		t.Fatal("wall time or results directory not normalized")
	}
	for _, changed := range []string{strings.Replace(a, "6370", "6165", 1), strings.Replace(a, "40.5s run", "40.6s run", 1), strings.Replace(a, "seed 7", "seed 8", 1)} {
		if normalizeSummary(a) == normalizeSummary(changed) {
			t.Fatalf("a changed figure was normalized away:\n%s", changed)
		}
	}
}
