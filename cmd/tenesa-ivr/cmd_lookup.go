package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// newLookupCmd: tenesa-ivr lookup --ani NUMBER | --sid ID, printing JSON.
func newLookupCmd(env *cliEnv) *cobra.Command {
	var ani, sid string
	cmd := &cobra.Command{
		Use:   "lookup --ani NUMBER | --sid ID",
		Short: "Look a caller up the way the router does and print the customer and routing inputs as JSON",
		Long: `Look a caller up by caller number (any form: +62 21 5551234, 021-555-1234,
0812-3456-7890, …) or by service ID, through the same resolver, budget and
breaker as a call, and print the customer, the routing decision inputs
(segment, tier, served or redirect, language, products), the ticket of the
service ID and the incidents of the customer's products as JSON.
Exit status: 0 answered (found or not), 1 malformed input or bad config,
3 Redis did not answer within the look-up budget (degraded).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (ani == "") == (sid == "") {
				return fmt.Errorf("give exactly one of --ani and --sid")
			}
			cfg, log, err := env.Load()
			if err != nil {
				return err
			}
			stack, err := segmentation.NewStack(cfg.Redis, cfg.Segmentation)
			if err != nil {
				return err
			}
			defer stack.Close()
			res, err := stack.Resolver(cfg.Segmentation, log, nil)
			if err != nil {
				return err
			}
			kind, query := segmentation.KindANI, ani
			if sid != "" {
				kind, query = segmentation.KindSID, sid
			}
			rep, lerr := segmentation.Lookup(cmd.Context(), res, kind, query)
			enc := json.NewEncoder(env.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
			switch {
			case lerr != nil:
				return fmt.Errorf("lookup %s: %w", kind, lerr)
			case rep.Degraded:
				return &exitError{code: 3, err: fmt.Errorf("lookup %s: Redis did not answer within %s (%s)", kind, cfg.Segmentation.LookupBudget, rep.Outcome)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&ani, "ani", "", "caller number, any form")
	cmd.Flags().StringVar(&sid, "sid", "", "service ID")
	return cmd
}
