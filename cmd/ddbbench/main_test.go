package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliRun runs a command line in-process, as main would.
func cliRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(args, &out, &errb)
	t.Logf("ddbbench %s -> exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// Every bad argument exits 254 at once, before anything runs, with a
// message that names what was wrong.
func TestBadArgumentsExit254WithAClearMessage(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"rate too high to schedule", []string{"run", "--node", "single", "--rate", "1e9"}, "schedules 6e+10 operations; a run schedules at most 10000000"},
		{"rate too high, test", []string{"test", "-w", "echo", "--bin", "/bin/cat", "--rate", "1e9"}, "lower --rate or --time-limit"},
		{"rate zero", []string{"run", "--node", "single", "--rate", "0"}, "--rate must be a positive number"},
		{"rate negative", []string{"run", "--node", "single", "--rate", "-5"}, "--rate must be a positive number"},
		{"rate not a number", []string{"run", "--node", "single", "--rate", "NaN"}, "--rate must be a positive number"},
		{"negative check timeout", []string{"run", "--node", "single", "--check-timeout", "-1s"}, "--check-timeout must be positive, got -1s"},
		{"zero check timeout", []string{"run", "--node", "single", "--check-timeout", "0s"}, "--check-timeout must be positive"},
		{"negative init timeout", []string{"test", "-w", "echo", "--bin", "/bin/cat", "--init-timeout", "-2s"}, "--init-timeout must be positive"},
		{"negative hunt", []string{"suite", "replication", "--hunt", "-1"}, "--hunt must not be negative, got -1"},
		{"no seeds", []string{"suite", "replication", "--seeds", "0"}, "--seeds must be at least 1"},
		{"negative parallel", []string{"suite", "replication", "--parallel", "-2"}, "--parallel must not be negative"},
		{"unknown suite strategy", []string{"suite", "replication", "--node", "raft,nosuch"}, `unknown strategy "nosuch" (group replication has: single,`},
		{"strategy of another group", []string{"suite", "replication", "--node", "local"}, `not in group replication "local"`},
		{"unknown group", []string{"suite", "nosuch"}, "nosuch"},
		{"unknown node", []string{"run", "--node", "nosuch"}, "nosuch"},
		{"store is a file", []string{"run", "--node", "single", "--store", file}, "--store " + file + " is a file, not a directory"},
		{"store inside a file", []string{"run", "--node", "single", "--store", filepath.Join(file, "store")}, "cannot be created"},
		{"suite store is a file", []string{"suite", "replication", "--store", file}, "is a file, not a directory"},
		{"test without --bin", []string{"test", "-w", "echo"}, "--bin PATH"},
		{"unknown flag", []string{"run", "--node", "single", "--nosuch"}, "unknown flag: --nosuch"},
		{"zero log limit", []string{"test", "-w", "echo", "--bin", "/bin/cat", "--node-log-limit", "0"}, "--node-log-limit: want a size"},
		{"log limit without a number", []string{"test", "-w", "echo", "--bin", "/bin/cat", "--node-log-limit", "lots"}, "--node-log-limit: want a size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !strings.Contains(strings.Join(args, " "), "--store") {
				args = append(args, "--store", store)
			}
			code, stdout, stderr := cliRun(t, append(args, "-q")...)
			if code != exitBadArgs {
				t.Errorf("exit %d, want %d", code, exitBadArgs)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, stderr)
			}
			if stdout != "" {
				t.Errorf("a refused command line printed to stdout:\n%s", stdout)
			}
			if _, err := os.Stat(store); !os.IsNotExist(err) {
				t.Errorf("a refused command line created the store (%v)", err)
			}
		})
	}
}

// `ddbbench test` takes no --node: its error must not suggest one.
func TestTestWithoutBinDoesNotSuggestNode(t *testing.T) {
	_, _, stderr := cliRun(t, "test", "-w", "echo", "--store", t.TempDir())
	if strings.Contains(stderr, "--node") {
		t.Fatalf("suggests --node, which test does not accept:\n%s", stderr)
	}
}

// A store nobody may write to is refused before the run. (Root writes
// anywhere, so the test needs another user.)
func TestStoreNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop writes")
	}
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cliRun(t, "run", "--node", "single", "--store", ro, "-q")
	if code != exitBadArgs || !strings.Contains(stderr, "is not writable") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// A nemesis that cannot fire within --time-limit is pointed out; the run
// still happens.
func TestWarnsWhenANemesisCannotFire(t *testing.T) {
	for _, tc := range []struct {
		args []string
		warn string
	}{
		{[]string{"--time-limit", "5", "--nemesis", "partition"}, "nemesis partition injects nothing: its first fault would start 10s into the run"},
		{[]string{"--time-limit", "4", "--nemesis", "partition,kill", "--nemesis-interval", "3"}, "nemesis kill injects nothing: its first fault would start 4.5s"},
		{[]string{"--time-limit", "5", "--nemesis", "partition", "--nemesis-interval", "2"}, ""},
	} {
		args := append([]string{"run", "--node", "single", "--node-count", "3", "--seed", "1", "--store", t.TempDir(), "-q"}, tc.args...)
		code, stdout, stderr := cliRun(t, args...)
		if code != exitValid || !strings.HasPrefix(stdout, "VALID") {
			t.Fatalf("%v: exit %d", tc.args, code)
		}
		if tc.warn == "" {
			if strings.Contains(stderr, "warning") {
				t.Errorf("%v: a warning although every nemesis fires:\n%s", tc.args, stderr)
			}
		} else if !strings.Contains(stderr, "warning: "+tc.warn) {
			t.Errorf("%v: no warning %q:\n%s", tc.args, tc.warn, stderr)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"64MiB": 64 << 20, "64 MiB": 64 << 20, "64M": 64 << 20, "500KiB": 500 << 10, "1.5GiB": 3 << 29,
		"1048576": 1 << 20, "2B": 2, "none": -1,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5", "0.5", "lots", "64XB", "NaN", "1e30GiB"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}
