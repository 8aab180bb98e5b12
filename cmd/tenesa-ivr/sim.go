package main

import (
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

func newSimCmd(env *cliEnv) *cobra.Command {
	var listen, username, password string
	var scale float64
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the Asterisk 22 ARI simulator (REST + events WebSocket) for development and tests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := env.Load()
			if err != nil {
				return err
			}
			if username == "" {
				username = cfg.ARI.Username
			}
			if password == "" {
				password = cfg.ARI.Password
			}
			durations, err := promptDurations()
			if err != nil {
				return err
			}
			sim := arisim.New(arisim.Options{
				Username: username, Password: password, TimeScale: scale,
				PromptDurations: durations,
				Logger:          log.With().Str("component", "arisim").Logger(),
			})
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			fmt.Fprintf(env.Stdout, "ARI simulator on http://%s/ari (events ws://%s/ari/events), user %q\n", listen, listen, username)
			return sim.ListenAndServe(ctx, listen)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8088", "address to listen on")
	cmd.Flags().StringVar(&username, "username", "", "ARI user (default: ari.username of the config)")
	cmd.Flags().StringVar(&password, "password", "", "ARI password (default: ari.password of the config)")
	cmd.Flags().Float64Var(&scale, "time-scale", 1, "1 = real time; 0.1 = ten times faster")
	return cmd
}
