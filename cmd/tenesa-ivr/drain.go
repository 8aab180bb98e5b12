package main

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// drainMargin is what serve needs past ari.shutdown_grace to stop once its
// calls are done (HTTP and agent API shutdown, last handling records); drain
// waits this much longer than the grace, and a Kubernetes
// terminationGracePeriodSeconds must cover both (deployments/kubernetes).
const drainMargin = 15 * time.Second

const drainLong = `Drain a running controller and wait until it has stopped: for a Kubernetes
preStop hook (or a service manager's stop command).

drain sends SIGTERM to the controller (--pid, default 1: a container's main
process), which stops taking calls and fails /readyz, then waits while its
calls finish, up to ari.shutdown_grace of the same configuration plus 15s
(--timeout overrides). It exits 0 once the process is gone, 1 if it still runs
at the end. In a preStop hook, the kubelet's own SIGTERM comes only after the
hook returns: a hook that returned at once would make it a second signal, which
stops the controller without waiting for its calls.`

func newDrainCmd(env *cliEnv) *cobra.Command {
	var pid int
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "drain",
		Short: "Send SIGTERM to a serving controller and wait until its calls are done and it has stopped",
		Long:  drainLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pid <= 0 {
				return fmt.Errorf("--pid %d: must be a process id above 0", pid)
			}
			if timeout <= 0 {
				cfg, _, err := env.Load()
				if err != nil {
					return err
				}
				timeout = cfg.ARI.ShutdownGrace + drainMargin
			}
			return drain(pid, timeout, env)
		},
	}
	cmd.Flags().IntVar(&pid, "pid", 1, "process id of the serving controller")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "how long to wait for it to stop (default ari.shutdown_grace + 15s)")
	return cmd
}

// drain signals pid and waits until it no longer exists, checking every
// 250 ms, at most timeout.
func drain(pid int, timeout time.Duration, env *cliEnv) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			fmt.Fprintf(env.Stderr, "drain: process %d is not running\n", pid)
			return nil
		}
		return fmt.Errorf("drain: SIGTERM to process %d: %w", pid, err)
	}
	fmt.Fprintf(env.Stderr, "drain: SIGTERM sent to process %d, waiting up to %s for it to stop\n", pid, timeout)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			return &exitError{code: 1, err: fmt.Errorf("drain: process %d still running after %s", pid, timeout)}
		case <-tick.C:
			if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
				fmt.Fprintf(env.Stderr, "drain: process %d stopped\n", pid)
				return nil
			}
		}
	}
}
