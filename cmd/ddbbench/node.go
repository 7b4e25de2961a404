package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nodes/catalog"
	"github.com/ddbbench/ddbbench/runtime/nodehost"
)

func newNodeCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "node STRATEGY",
		Short: "Run a reference node as a Maelstrom binary on stdin/stdout",
		Long: `Run one node of a reference strategy as a Maelstrom node: it reads one JSON
message per line on stdin, writes its messages on stdout and logs on stderr,
with real timers and its durable store in --data-dir (default: the working
directory, which both ddbbench's process runtime and Maelstrom give each node).

Examples:
  ddbbench test -w lin-kv --bin bin/ddbbench node raft
  maelstrom test -w lin-kv --bin ddbbench-node-raft.sh   # a script running: ddbbench node raft`,
		Args: cobra.ExactArgs(1),
		RunE: started(func(cmd *cobra.Command, args []string) error {
			strategy, err := catalog.Lookup(args[0])
			if err != nil {
				return errors.Join(harness.ErrBadConfig, err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = nodehost.Run(ctx, strategy.New, os.Stdin, os.Stdout, os.Stderr, dataDir)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}),
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", ".", "directory for the node's durable store")
	cmd.ValidArgsFunction = completeNames(strategyNames)
	return cmd
}
