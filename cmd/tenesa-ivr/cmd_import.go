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

	"github.com/tenesa-ivr/tenesa-ivr/deployments/asterisk/sounds"
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
		force      bool
		maxShrink  float64
		gc         bool
	)
	cmd := &cobra.Command{
		Use:   "import customers|tickets|incidents FILE | import gc [DATASET]",
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
  tenesa-ivr import customers --generate 1000 --output c.csv # write them as CSV instead
  tenesa-ivr import gc                                      # delete versions left by killed imports

A customers file that would lose more than --max-shrink of the serving
customers is refused unless --force. Versions left by a killed import (no
live lease) are deleted before an import writes; "import gc" (or --gc with a
dataset) deletes them, and the replaced versions, without importing.
Regions are stored under their name in the config's regions, codes and
spellings in region_aliases mapped to it; the summary counts the rest.
Incident prompts must be in the prompt manifest.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && args[0] == "gc" || gc {
				if len(args) > 2 || (len(args) == 2 && args[0] != "gc") {
					return fmt.Errorf("gc takes at most a dataset, no FILE")
				}
				return nil
			}
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
			gcOnly := gc || len(args) > 0 && args[0] == "gc"
			if len(args) > 0 && args[0] == "gc" {
				args = args[1:]
			}
			datasets := segmentation.Datasets
			if len(args) > 0 {
				d := segmentation.Dataset(args[0])
				switch d {
				case segmentation.DatasetCustomers, segmentation.DatasetTickets, segmentation.DatasetIncidents:
				default:
					return fmt.Errorf("unknown dataset %q: customers, tickets or incidents", args[0])
				}
				datasets = []segmentation.Dataset{d}
			}
			if gcOnly {
				return runGC(cmd.Context(), env, datasets)
			}
			d := datasets[0]
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
			prompts, err := promptIDs()
			if err != nil {
				return err
			}
			im, err := importer.New(importer.Options{
				Repository: stack.Repo, Rules: stack.Rules, MaxErrors: maxErrors,
				BatchSize: batch, Workers: workers, KeepOld: keepOld, AllowEmpty: allowEmpty,
				Force: force, MaxShrink: maxShrink, Prompts: prompts, Regions: cfg.RegionNames(),
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
			if sum.CollectedVersions > 0 && sum.Version == 0 {
				fmt.Fprintf(env.Stdout, "%s: collected %d orphaned versions (%d keys)\n", d, sum.CollectedVersions, sum.CollectedKeys)
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
	f.BoolVar(&force, "force", false, "replace the customers dataset however much it shrinks")
	f.Float64Var(&maxShrink, "max-shrink", importer.DefaultMaxShrink, "share (0-1) of the serving customers a new file may lose without --force")
	f.BoolVar(&gc, "gc", false, "only delete orphaned and replaced versions of the dataset (all datasets without one)")
	return cmd
}

// runGC deletes, for each dataset, the versions whose import is gone (no
// live lease) and the replaced ones; the serving version and versions being
// written stay.
func runGC(ctx context.Context, env *cliEnv, datasets []segmentation.Dataset) error {
	cfg, _, err := env.Load()
	if err != nil {
		return err
	}
	stack, err := segmentation.NewStack(cfg.Redis, cfg.Segmentation)
	if err != nil {
		return err
	}
	defer stack.Close()
	for _, d := range datasets {
		n, keys, err := stack.Repo.CollectOrphans(ctx, d, true)
		if err != nil {
			return fmt.Errorf("import gc %s: %w", d, err)
		}
		fmt.Fprintf(env.Stdout, "%s: %d versions deleted (%d keys)\n", d, n, keys)
	}
	return nil
}

// promptIDs is the set of prompt ids of the embedded prompt manifest, for
// checking incidents.
func promptIDs() (map[string]bool, error) {
	ps, err := sounds.Prompts()
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(ps))
	for _, p := range ps {
		ids[p.Name] = true
	}
	return ids, nil
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
