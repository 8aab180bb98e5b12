package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation/importer"
)

// newImportCmd: tenesa-ivr import customers|tickets|incidents FILE.
func newImportCmd(env *cliEnv) *cobra.Command {
	var (
		format     string
		maxErrors  int
		batch      int
		workers    int
		keepOld    bool
		allowEmpty bool
		generate   int
		seed       uint64
		output     string
		showErrors int
	)
	cmd := &cobra.Command{
		Use:   "import customers|tickets|incidents FILE",
		Short: "Load a CRM export into Redis as a new dataset version and switch to it atomically",
		Long: `Load a CRM export into Redis. Rows are validated (required fields, known
segment, tier and product, phone numbers that parse); bad rows are reported
with their line number and skipped, and more than --max-errors of them abort
the import. The data goes to a new dataset version, and readers switch to it
atomically at the end: an aborted or failed import leaves the previous data
serving. FILE is CSV (header customer_id,name,segment,tier,language,region,
products,phones,service_ids,account_manager for customers; list fields
';'-separated) or JSON Lines (.jsonl), "-" for standard input.

  tenesa-ivr import customers configs/sample/customers.csv
  tenesa-ivr import tickets configs/sample/tickets.csv
  tenesa-ivr import incidents configs/sample/incidents.csv
  tenesa-ivr import customers --generate 1000000            # synthetic load-test data
  tenesa-ivr import customers --generate 1000 --output c.csv # write them as CSV instead`,
		Args: func(cmd *cobra.Command, args []string) error {
			if generate > 0 {
				if len(args) != 1 || args[0] != string(segmentation.DatasetCustomers) {
					return fmt.Errorf("--generate takes no FILE and works for customers only")
				}
				return nil
			}
			if len(args) != 2 {
				return fmt.Errorf("want a dataset (customers, tickets, incidents) and a FILE, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			d := segmentation.Dataset(args[0])
			switch d {
			case segmentation.DatasetCustomers, segmentation.DatasetTickets, segmentation.DatasetIncidents:
			default:
				return fmt.Errorf("unknown dataset %q: customers, tickets or incidents", args[0])
			}
			if generate > 0 && output != "" {
				return writeGenerated(env, output, generate, seed)
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
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			pctx, cancel := context.WithTimeout(ctx, 5*cfg.Redis.DialTimeout+time.Second)
			err = stack.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("import %s: %w", d, err)
			}
			im, err := importer.New(importer.Options{
				Repository: stack.Repo, Rules: stack.Rules, MaxErrors: maxErrors,
				BatchSize: batch, Workers: workers, KeepOld: keepOld, AllowEmpty: allowEmpty,
				Progress: importer.ProgressPrinter(env.Stderr, stderrIsTerminal(env.Stderr)),
				Logger:   log,
			})
			if err != nil {
				return err
			}
			var sum importer.Summary
			if generate > 0 {
				sum, err = im.GenerateCustomers(ctx, generate, seed)
			} else {
				sum, err = im.ImportFile(ctx, d, args[1], format)
			}
			for i, e := range sum.Errors {
				if i == showErrors {
					fmt.Fprintf(env.Stderr, "… %d more bad rows\n", sum.Bad-int64(i))
					break
				}
				fmt.Fprintln(env.Stderr, e.Error())
			}
			if sum.Version != 0 {
				fmt.Fprintln(env.Stdout, sum.String())
			}
			if err != nil {
				return fmt.Errorf("import %s: %w", d, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "csv or jsonl (default: from the file name)")
	f.IntVar(&maxErrors, "max-errors", 0, "bad rows skipped before the import aborts (-1: never abort)")
	f.IntVar(&batch, "batch", 1000, "rows per pipelined Redis write")
	f.IntVar(&workers, "workers", 4, "concurrent validating and writing workers")
	f.BoolVar(&keepOld, "keep-old", false, "keep the replaced dataset versions instead of deleting them")
	f.BoolVar(&allowEmpty, "allow-empty", false, "let a file with no valid row replace the dataset")
	f.IntVar(&generate, "generate", 0, "import N synthetic customers instead of a file (load tests)")
	f.Uint64Var(&seed, "seed", 1, "seed of --generate")
	f.StringVar(&output, "output", "", "with --generate: write the customers to this CSV file instead of importing")
	f.IntVar(&showErrors, "show-errors", 20, "bad rows listed on stderr")
	return cmd
}

func writeGenerated(env *cliEnv, path string, n int, seed uint64) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	if err := importer.NewGenerator(n, seed).WriteCSV(w); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(env.Stdout, "wrote %d generated customers to %s\n", n, path)
	return nil
}

func stderrIsTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
