package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/deployments/grafana"
)

func newDashboardsCmd() *cobra.Command {
	out := "deployments/grafana/dashboards"
	cmd := &cobra.Command{
		Use:   "dashboards",
		Short: "Write the Grafana dashboards (TENESA operations, Controller health) as JSON",
		Long: "Generates the Grafana dashboards from code (deployments/grafana) into --out,\n" +
			"where deployments/grafana/provisioning loads them. Run after changing the code;\n" +
			"a test fails while the committed JSON differs.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := grafana.Files()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("--out %s: %w", out, err)
			}
			for _, name := range slices.Sorted(maps.Keys(files)) {
				p := filepath.Join(out, name)
				if err := os.WriteFile(p, files[name], 0o644); err != nil {
					return fmt.Errorf("--out %s: %w", out, err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", p)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", out, "directory to write the dashboards' JSON to")
	return cmd
}
