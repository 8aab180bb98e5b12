package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCheckConfigCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "check-config",
		Short: "Validate the configuration: every problem is printed as FILE: key: message (exit 1)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := env.Load()
			if err != nil {
				return err // printed one problem per line by run
			}
			fmt.Fprintf(env.Stdout, "configuration OK: %d line(s), ARI %s, Redis %s\n",
				len(cfg.Lines), cfg.ARI.URL, cfg.Redis.Addr)
			return nil
		},
	}
}
