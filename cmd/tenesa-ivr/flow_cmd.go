package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
)

// newFlowCmd draws the configured call flow, so operations can review a
// menu or routing change before it goes live: check-config says whether a
// file is valid, flow shows what it does.
func newFlowCmd(env *cliEnv) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "flow",
		Short: "Draw the configured call flow (every menu, retry, timeout, redirect, degraded path and routing rule)",
		Long: "Draw the call flow compiled from the configuration (--config, defaults, TENESA_* overrides)\n" +
			"as a Mermaid flowchart or a Graphviz digraph, e.g.\n" +
			"  tenesa-ivr flow --config site.yaml > flow.mmd\n" +
			"  tenesa-ivr flow --format dot | dot -Tsvg > flow.svg",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != plan.FormatMermaid && format != plan.FormatDOT {
				return fmt.Errorf("--format %q: want mermaid or dot", format)
			}
			cfg, _, err := env.Load()
			if err != nil {
				return err // printed one problem per line by run
			}
			prompts, err := manifest.PromptIDs()
			if err != nil {
				return err
			}
			p, err := plan.Compile(cfg, prompts)
			if err != nil {
				return err
			}
			out, err := p.Graph(format)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(env.Stdout, out)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", plan.FormatMermaid, "mermaid | dot")
	return cmd
}
