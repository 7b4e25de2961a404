// Command ddbbench benchmarks and chaos-tests distributed-database strategies.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ddbbench/ddbbench/harness"
)

// Exit codes, Maelstrom's.
const (
	exitValid    = 0
	exitInvalid  = 1
	exitUnknown  = 2
	exitBadArgs  = 254
	exitInternal = 255
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error // nil when the command already said everything
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the command line args and returns the exit code. Not safe
// to call from two goroutines at once.
func execute(args []string, stdout, stderr io.Writer) int {
	commandStarted = false
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitValid
	}
	code := exitInternal
	var exit *exitError
	switch {
	case errors.As(err, &exit):
		code = exit.code
		err = exit.err
	case errors.Is(err, harness.ErrBadConfig), !commandStarted:
		// Errors before a command's body ran are cobra's: an unknown
		// command or flag, a missing argument.
		code = exitBadArgs
	}
	if err != nil {
		fmt.Fprintln(stderr, "ddbbench:", err)
	}
	return code
}

// commandStarted is set once a command's body runs (see started).
var commandStarted bool

// started wraps a command body so that errors after it began are not taken
// for usage errors.
func started(run func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		commandStarted = true
		return run(cmd, args)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "ddbbench",
		Short: "Benchmark and chaos-test distributed-database strategies",
		Long: `ddbbench runs nodes that speak Maelstrom's wire protocol, drives them with a
workload, injects faults (partitions, crashes, pauses), checks the recorded
history (Porcupine for linearizability) and measures latency, availability
and messages per operation.

Reference strategies run in a deterministic simulator: the same --seed gives
the same history, and a 60-second test takes well under a second.

Each run writes store/<name>/<timestamp>/ (results.json, history.jsonl,
summary.txt, node logs, and on a violation linearizability.html) and points
store/latest at it.

Exit codes: 0 valid, 1 invalid, 2 unknown, 254 bad arguments, 255 internal error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("ddbbench {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())
	})
	root.AddCommand(newRunCmd(), newTestCmd(), newSuiteCmd(), newListCmd(), newNodeCmd())
	return root
}
