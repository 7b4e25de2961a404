package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ddbbench/ddbbench/harness"
	"github.com/ddbbench/ddbbench/nemesis"
	"github.com/ddbbench/ddbbench/nodes/catalog"
)

func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the reference nodes, workloads and nemeses",
		Args:  cobra.NoArgs,
		RunE: started(func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "NODES (--node)")
			for _, s := range catalog.All() {
				fmt.Fprintf(w, "  %s\t%s\t%s\n", s.Name, s.Group, s.Summary)
			}
			fmt.Fprintln(w, "\nWORKLOADS (-w)")
			for _, name := range harness.WorkloadNames() {
				fmt.Fprintf(w, "  %s\t%s\n", name, harness.WorkloadSummary(name))
			}
			fmt.Fprintln(w, "\nNEMESES (--nemesis, comma-separated)")
			for _, n := range nemesis.Catalog() {
				fmt.Fprintf(w, "  %s\t%s\n", n.Name, n.Summary)
			}
			return w.Flush()
		}),
	}
}
