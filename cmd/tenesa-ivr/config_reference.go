package main

import (
	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
)

// newConfigReferenceCmd prints the configuration reference
// (docs/configuration.md): every key with its type, default, environment
// variable and description, generated from the config struct.
func newConfigReferenceCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "config-reference",
		Short: "Print the configuration reference (every key, type, default, env variable) as Markdown",
		Long: "Prints every configuration key with its type, its default (configs/tenesa.yaml),\n" +
			"the environment variable that overrides it and its description (the doc comment\n" +
			"of its field in configs/config.go). It documents the embedded defaults: --config\n" +
			"and the environment do not change it. docs/configuration.md is its output:\n" +
			"  go run ./cmd/tenesa-ivr config-reference > docs/configuration.md",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return configs.WriteReference(env.Stdout)
		},
	}
}
