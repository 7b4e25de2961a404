package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nemesis"
	"github.com/ddbbench/ddbbench/nodes/catalog"
	"github.com/ddbbench/ddbbench/workloads/bank"
)

// Shell completion: cobra's `ddbbench completion bash|zsh|fish|powershell`
// writes the script; these functions give it the names to offer.

// completeNames offers names, one per description line ("name\tsummary").
func completeNames(names func() []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, n := range names() {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeList offers names for a comma-separated list: what was typed up
// to the last comma stays, the last element is completed.
func completeList(names func() []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done := ""
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			done = toComplete[:i+1]
		}
		var out []string
		for _, n := range names() {
			if c := done + n; strings.HasPrefix(c, toComplete) && !strings.Contains(","+done, ","+n+",") {
				out = append(out, c)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

func strategyNames() []string {
	var out []string
	for _, s := range catalog.All() {
		out = append(out, s.Name+"\t"+s.Summary)
	}
	return out
}

func workloadNames() []string {
	var out []string
	for _, w := range harness.WorkloadNames() {
		out = append(out, w+"\t"+harness.WorkloadSummary(w))
	}
	return out
}

// nemesisNames are the names --nemesis takes, without descriptions: they
// are completed inside a comma-separated list.
func nemesisNames() []string { return append([]string{"none"}, nemesis.Names()...) }

func contentionLevels() []string { return bank.Levels }

func groupNames() []string {
	var out []string
	for _, g := range catalog.Groups() {
		out = append(out, g.Name)
	}
	return out
}

// groupStrategyNames are the strategies of the group named by the first
// argument (all of them before it is given).
func groupStrategyNames(cmd *cobra.Command) func() []string {
	return func() []string {
		var out []string
		for _, s := range catalog.All() {
			if args := cmd.Flags().Args(); len(args) == 0 || s.Group == args[0] {
				out = append(out, s.Name)
			}
		}
		return out
	}
}

// registerCompletions wires the name completions into the flags of cmd
// that take names.
func registerCompletions(cmd *cobra.Command) {
	for flag, f := range map[string]cobra.CompletionFunc{
		"node":       completeNames(strategyNames),
		"workload":   completeNames(workloadNames),
		"nemesis":    completeList(nemesisNames),
		"contention": completeNames(contentionLevels),
	} {
		if cmd.Flags().Lookup(flag) != nil {
			_ = cmd.RegisterFlagCompletionFunc(flag, f)
		}
	}
}

// version is set at link time (-ldflags "-X main.version=v1.2.3") for a
// release; otherwise the module version and VCS revision from the build
// information stand in.
var version = ""

func versionString() string {
	v, rev, modified, goVersion := version, "", false, ""
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		if modified {
			rev += "+modified"
		}
		v += " " + rev
	}
	return fmt.Sprintf("%s (%s)", v, goVersion)
}
