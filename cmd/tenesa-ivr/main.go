// Command tenesa-ivr is the TENESA IVR and call router: an Asterisk ARI
// controller (serve), its simulator (sim), a self-contained demo (demo),
// configuration checks (check-config) and customer-data tools (import,
// lookup). It holds no business logic: every command wires packages.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// cliEnv is what every sub-command gets from the root command.
type cliEnv struct {
	Stdout, Stderr io.Writer
	// Load loads and validates the config named by --config (or the
	// embedded defaults); it returns the config and a logger.
	Load func() (*configs.Config, zerolog.Logger, error)
	// ConfigPath is the --config file ("" = embedded defaults).
	ConfigPath func() string
}

// exitError carries a specific exit status through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func run(args []string, stdout, stderr io.Writer) int {
	var configPath string
	env := &cliEnv{Stdout: stdout, Stderr: stderr}
	env.ConfigPath = func() string { return configPath }
	env.Load = func() (*configs.Config, zerolog.Logger, error) {
		cfg, err := manifest.Load(configPath)
		if err != nil {
			return nil, zerolog.Nop(), err
		}
		log := logging.New(stderr, logging.Options{Level: cfg.Log.Level, Format: cfg.Log.Format})
		return cfg, log, nil
	}

	root := &cobra.Command{
		Use:           "tenesa-ivr",
		Short:         "TENESA IVR and call router for Asterisk (ARI)",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("tenesa-ivr {{.Version}}\n")
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&configPath, "config", "",
		"configuration file (YAML); defaults are embedded, TENESA_<SECTION>_<KEY> overrides")
	root.AddCommand(
		newServeCmd(env),
		newCheckConfigCmd(env),
		newDrainCmd(env),
		newSimCmd(env),
		newDemoCmd(env),
		newBenchCmd(env),
		newFlowCmd(env),
		newImportCmd(env),
		newLookupCmd(env),
		newDashboardsCmd(),
		newConfigReferenceCmd(env),
		newSoakCmd(env),
	)
	if err := root.Execute(); err != nil {
		var ps configs.Problems
		var ee *exitError
		switch {
		case errors.As(err, &ps):
			for _, p := range ps {
				fmt.Fprintln(stderr, p.String())
			}
		default:
			fmt.Fprintln(stderr, "tenesa-ivr:", err)
		}
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}
