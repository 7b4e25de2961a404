package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/internal/mdcmd"
)

// freshClone copies the module's files as a clone would have them (git's
// tracked and untracked-but-not-ignored files; no store/, no bin/) into a
// temporary directory.
func freshClone(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-co", "--exclude-standard", "-z").Output()
	if err != nil {
		t.Skipf("no git to list the clone's files: %v", err)
	}
	dir := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" || strings.HasPrefix(name, "store/") || strings.HasPrefix(name, "bin/") {
			continue
		}
		src := filepath.Join(root, name)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(src, dst, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

var timeLimitRe = regexp.MustCompile(`--time-limit [0-9.]+`)

// shortened is how the test runs a README command: as written, except that
// runs in real time get a shorter --time-limit (still long enough for every
// kind of operation to succeed at least once, as Maelstrom's rule requires)
// and, since Python starts slowly on a busy machine, a long --init-timeout;
// the suite one seed without hunting (its command line is what is tested
// here; suite's tests and docs/strategies.md cover its matrix), benchmarks
// one iteration, and make targets a dry run (make test would run this test
// again).
func shortened(cmd string) (string, bool) {
	switch {
	case strings.HasPrefix(cmd, "make "):
		return "make -n " + strings.TrimPrefix(cmd, "make "), false
	case strings.HasPrefix(cmd, "go test ") && strings.Contains(cmd, "-bench"):
		return cmd + " -benchtime 1x", false
	case strings.HasPrefix(cmd, "ddbbench suite "):
		return timeLimitRe.ReplaceAllString(cmd, "--time-limit 3") + " --seeds 1 --hunt 0", true
	case strings.HasPrefix(cmd, "ddbbench test ") || strings.Contains(cmd, "--runtime proc"):
		return timeLimitRe.ReplaceAllString(cmd, "--time-limit 5 --init-timeout 2m"), false
	}
	return cmd, false
}

// Every command the README tells a newcomer to run works as written from a
// fresh clone: installing puts ddbbench on the PATH, examples exist, flags
// are valid, and each command exits as the README says (0 unless its
// comment says "exits N").
func TestReadmeCommandsRunAsWritten(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash to run the README's commands")
	}
	python3(t)
	root := moduleDir(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := mdcmd.Parse(string(readme))
	if len(cmds) < 10 || !strings.HasPrefix(cmds[0].Text, "go install ") {
		t.Fatalf("expected the README to start with go install and show its commands; found %d: %+v", len(cmds), cmds)
	}
	clone := freshClone(t, root)
	gobin := t.TempDir()
	env := append(os.Environ(), "GOBIN="+gobin, "PATH="+gobin+string(os.PathListSeparator)+os.Getenv("PATH"))
	run := func(t *testing.T, c mdcmd.Command) {
		line, suite := shortened(c.Text)
		cmd := exec.Command("bash", "-c", line)
		cmd.Dir, cmd.Env = clone, env
		if strings.HasPrefix(line, "go ") {
			// Go commands see the same files in the module itself, where
			// the build cache already has them; from the copy's path
			// everything would compile again.
			cmd.Dir = root
		}
		r := runCmd(t, cmd)
		want := c.ExitCode()
		t.Logf("README line %d: %s\n-> exit %d\nstdout:\n%s\nstderr:\n%s", c.Line, line, r.code, tail([]byte(r.stdout), 3000), tail([]byte(r.stderr), 3000))
		if r.code != want && !(suite && r.code == 1) {
			t.Errorf("README line %d: %s: exit %d, want %d", c.Line, c.Text, r.code, want)
		}
		if strings.Contains(line, "-bench") && !strings.Contains(r.stdout, "Benchmark") {
			t.Errorf("README line %d: %s runs no benchmark", c.Line, c.Text)
		}
	}
	// Installing comes first, and everything after needs it.
	t.Run("install", func(t *testing.T) { run(t, cmds[0]) })
	if _, err := os.Stat(filepath.Join(gobin, "ddbbench")); err != nil {
		t.Fatalf("%q did not install ddbbench: %v", cmds[0].Text, err)
	}
	for _, c := range cmds[1:] {
		t.Run(c.Text, func(t *testing.T) {
			t.Parallel()
			run(t, c)
		})
	}
}

// The README points only at files a clone has.
func TestReadmeLinksExist(t *testing.T) {
	root := moduleDir(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\]\(([^)#]+)\)`).FindAllStringSubmatch(string(readme), -1) {
		link := m[1]
		if strings.Contains(link, "://") {
			continue
		}
		if strings.HasPrefix(link, "..") || filepath.IsAbs(link) {
			t.Errorf("README links outside the repository: %s", link)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, link)); err != nil {
			t.Errorf("README links to %s: %v", link, err)
		}
	}
	if bytes.Contains(readme, []byte("shared/DESIGN.md")) {
		t.Error("README points at shared/DESIGN.md, which a clone does not have")
	}
}
