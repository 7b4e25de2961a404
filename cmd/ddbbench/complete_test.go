package main

import (
	"slices"
	"strings"
	"testing"
)

// completions asks cobra's completion entry point, as the shell scripts
// do, and returns the offered words (descriptions dropped).
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	code, stdout, _ := cliRun(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var words []string
	for _, line := range strings.Split(stdout, "\n") {
		if line == "" || strings.HasPrefix(line, ":") {
			continue
		}
		words = append(words, strings.SplitN(line, "\t", 2)[0])
	}
	return words
}

func TestCompletionOffersNames(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		want, not  []string
		exactCount int
	}{
		{args: []string{"run", "--node", ""}, want: []string{"single", "raft", "lww", "local"}},
		{args: []string{"run", "--node", "pb-"}, want: []string{"pb-sync", "pb-async", "pb-read-replica"}, exactCount: 3},
		{args: []string{"test", "-w", ""}, want: []string{"echo", "broadcast", "lin-kv", "kafka", "register"}},
		{args: []string{"run", "--workload", "g-"}, want: []string{"g-counter", "g-set"}, exactCount: 2},
		{args: []string{"run", "--nemesis", ""}, want: []string{"none", "partition", "kill", "clock-strobe"}},
		{args: []string{"test", "--nemesis", "partition,ki"}, want: []string{"partition,kill", "partition,kill-leader"}, not: []string{"partition,partition", "kill"}},
		{args: []string{"suite", ""}, want: []string{"replication", "control", "deadlock"}},
		{args: []string{"suite", "deadlock", "--contention", "low,"}, want: []string{"low,high"}, exactCount: 1},
		{args: []string{"run", "--contention", ""}, want: []string{"low", "high"}, exactCount: 2},
		{args: []string{"suite", "replication", "--node", "raft,"}, want: []string{"raft,single", "raft,lww"}, not: []string{"raft,raft", "raft,local"}},
		{args: []string{"suite", "replication", "--nemesis", "none,p"}, want: []string{"none,partition", "none,pause", "none,packet"}},
		{args: []string{"node", "raf"}, want: []string{"raft", "raft-lock"}, exactCount: 2},
	} {
		got := completions(t, tc.args...)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q: %q not offered among %q", tc.args, w, got)
			}
		}
		for _, w := range tc.not {
			if slices.Contains(got, w) {
				t.Errorf("%q: %q offered", tc.args, w)
			}
		}
		if tc.exactCount > 0 && len(got) != tc.exactCount {
			t.Errorf("%q: offered %q, want %d names", tc.args, got, tc.exactCount)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, stdout, _ := cliRun(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, "ddbbench") {
			t.Errorf("completion %s: exit %d, %d bytes", shell, code, len(stdout))
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := cliRun(t, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "ddbbench ") || !strings.Contains(stdout, "go1.") {
		t.Fatalf("exit %d, %q", code, stdout)
	}
}

// cobra takes back-quoted text in a flag's usage for its value name: help
// must show NAME, not "ddbbench list".
func TestFlagHelpValueNames(t *testing.T) {
	for _, cmd := range []string{"run", "test", "suite"} {
		_, stdout, _ := cliRun(t, cmd, "--help")
		if strings.Contains(stdout, "ddbbench list ") && !strings.Contains(stdout, "(see ddbbench list)") {
			t.Errorf("%s --help shows a value name taken from back quotes:\n%s", cmd, stdout)
		}
		for _, line := range strings.Split(stdout, "\n") {
			if strings.Contains(line, "--node ddbbench") || strings.Contains(line, "--workload ddbbench") || strings.Contains(line, "--nemesis ddbbench") {
				t.Errorf("%s --help: %s", cmd, line)
			}
		}
	}
	_, stdout, _ := cliRun(t, "run", "--help")
	for _, want := range []string{"--node NAME ", "--workload NAME ", "--nemesis NAMES ", "--node-log-limit SIZE "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("run --help does not show %q", want)
		}
	}
}
