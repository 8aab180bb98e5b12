package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/deployments/asterisk/sounds"
	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation/importer"
)

// promptDurations gives the simulator the length of every rendered prompt.
func promptDurations() (map[string]time.Duration, error) {
	d, err := sounds.Durations()
	if err != nil {
		return nil, fmt.Errorf("prompt durations: %w", err)
	}
	out := make(map[string]time.Duration, len(d))
	for k, v := range d {
		out["sound:"+k] = v
	}
	return out, nil
}

// demoCaller is one scripted caller of the demo, from configs/sample.
type demoCaller struct {
	title string
	c     arisim.Caller
}

func at(prompt, keys string) []arisim.Step {
	return []arisim.Step{arisim.WaitForPrompt(prompt), arisim.Press(keys)}
}

func script(parts ...[]arisim.Step) []arisim.Step {
	var out []arisim.Step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// talks: after the transfer announcement the caller waits for an agent
// (the agents end their calls after half a minute) and gives up after five
// minutes.
var talks = []arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(5 * time.Minute), arisim.HangUp()}

func demoCallers() []demoCaller {
	return []demoCaller{
		{"DES gold, data complaint", arisim.Caller{Number: "0813 5000 2202",
			Script: script(at("menu-main", "1"), at("menu-complaint-product", "1"), talks)}},
		{"DES platinum, ticket status", arisim.Caller{Number: "+62215551234",
			Script: script(at("menu-main", "2"), at("ask-service-id", "470301000101#"), at("offer-agent", "1"))}},
		{"unknown number, service ID, upgrade", arisim.Caller{Number: "+62215550000",
			Script: script(at("ask-service-id", "122101000101#"), at("menu-main", "4"), at("menu-request", "2"), talks)}},
		{"consumer, redirected to 147", arisim.Caller{Number: "0813-1000-2001"}},
		{"DES in Makassar, fibre-cut incident", arisim.Caller{Number: "0411 5550321",
			Script: script(at("incident-continue", "1"), at("menu-main", "0"), talks)}},
		{"English-speaking hotel", arisim.Caller{Number: "+62 361 555 888",
			Script: script(at("menu-main", "0"), talks)}},
		{"hangs up in the menu", arisim.Caller{Number: "061 5550777",
			Script: []arisim.Step{arisim.WaitForPrompt("menu-main"), arisim.Wait(2 * time.Second), arisim.HangUp()}}},
		{"invalid keys, then an agent", arisim.Caller{Number: "031 5550912",
			Script: script(at("menu-main", "7"), at("invalid-option", ""), at("menu-main", "8"), talks)}},
	}
}

func newDemoCmd(env *cliEnv) *cobra.Command {
	var scale float64
	var timeout time.Duration
	var sample string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Scripted calls through the SOP flow on an embedded simulated PBX and real Redis",
		Long: `demo loads configs/sample into Redis (under <redis.key_prefix>demo:), starts an
Asterisk 22 ARI simulator with scripted callers and an agent, runs the controller
against it, and prints what each caller heard and the call's handling record.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := env.Load()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			cfg.Redis.KeyPrefix += "demo:"
			if err := loadSample(ctx, cfg.Redis, cfg.Segmentation, sample, env.Stdout); err != nil {
				return err
			}

			durations, err := promptDurations()
			if err != nil {
				return err
			}
			secret := make([]byte, 12)
			_, _ = rand.Read(secret)
			password := hex.EncodeToString(secret)
			sim := arisim.New(arisim.Options{Username: "tenesa-demo", Password: password,
				TimeScale: scale, PromptDurations: durations})
			if err := sim.Start("127.0.0.1:0"); err != nil {
				return err
			}
			defer sim.Close()
			sim.AddAgent(arisim.Agent{Endpoint: cfg.Handoff.Endpoint, AnswerAfter: 4 * time.Second})
			// Every configured agent answers on the simulated PBX, is
			// logged in, and the acd's wall-clock times (wrap-up, maximum
			// wait, announcements) run at the simulator's pace.
			for i, ag := range cfg.Agents {
				sim.AddAgent(arisim.Agent{Endpoint: ag.Endpoint, AnswerAfter: 4 * time.Second, HangupAfter: 30 * time.Second})
				cfg.Agents[i].LoginAtStart = true
			}
			scaleQueues(cfg, scale)
			cfg.ARI.URL, cfg.ARI.WebsocketURL = sim.URL(), sim.WebsocketURL()
			cfg.ARI.Username, cfg.ARI.Password = "tenesa-demo", password

			app, err := newControllerApp(cfg, log)
			if err != nil {
				return err
			}
			defer app.close()
			var mu sync.Mutex
			records := map[string]*router.Record{}
			stream := router.StreamRecorder{Client: app.redis, Key: cfg.Redis.KeyPrefix + "records"}
			app.setRecordSink(router.RecorderFunc(func(ctx context.Context, r *router.Record) error {
				if err := stream.Write(ctx, r); err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				records[r.CallID] = r
				return nil
			}))
			defer app.runRecords()()
			cfg.AgentAPI.Listen = "" // the demo's agents are scripted: no agent API
			agents, err := app.startAgents(ctx)
			if err != nil {
				return err
			}
			defer agents.close()
			app.queue = app.useACD(agents.svc)
			defer app.queue.close() // after the controller, before the acd and the records
			runDone := make(chan error, 1)
			go func() { runDone <- app.ctl.Run(ctx, app.flow.Handle) }()
			// whatever happens below, the controller and its calls end before we return
			defer func() { cancel(); <-runDone }()
			if err := waitFor(ctx, app.ctl.Connected); err != nil {
				return fmt.Errorf("controller did not connect to the simulator: %w", err)
			}

			callers := demoCallers()
			calls := make([]*arisim.Call, len(callers))
			for i, dc := range callers {
				if calls[i], err = sim.PlaceCall(dc.c); err != nil {
					return fmt.Errorf("place call %d: %w", i+1, err)
				}
			}
			for i, c := range calls {
				select {
				case <-c.Done():
				case <-ctx.Done():
					return fmt.Errorf("call %d did not finish within %s", i+1, timeout)
				}
			}
			if err := waitFor(ctx, func() bool { mu.Lock(); defer mu.Unlock(); return len(records) == len(calls) }); err != nil {
				return fmt.Errorf("handling records missing: %w", err)
			}
			mu.Lock()
			defer mu.Unlock()
			printDemo(env.Stdout, callers, calls, records, cfg.Redis.KeyPrefix+"records")
			return nil
		},
	}
	cmd.Flags().Float64Var(&scale, "time-scale", 0.05, "simulated time scale (1 = real time)")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long")
	cmd.Flags().StringVar(&sample, "sample", "configs/sample", "folder with customers.csv, tickets.csv, incidents.csv")
	return cmd
}

// loadSample imports the sample CRM export into Redis (a new dataset version
// under the demo prefix, switched atomically like any import).
func loadSample(ctx context.Context, rc configs.Redis, sc configs.Segmentation, dir string, out io.Writer) error {
	stack, err := segmentation.NewStack(rc, sc)
	if err != nil {
		return err
	}
	defer stack.Close()
	im, err := importer.New(importer.Options{Repository: stack.Repo, Rules: stack.Rules})
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		run  func(context.Context, importer.Source) (importer.Summary, error)
	}{{"customers.csv", im.Customers}, {"tickets.csv", im.Tickets}, {"incidents.csv", im.Incidents}} {
		path := filepath.Join(dir, f.name)
		fh, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("sample data: %w (run the demo from the repository root, or pass --sample)", err)
		}
		var src io.Reader = fh
		if f.name == "incidents.csv" {
			// the sample's outages are dated; the demo shows them as ongoing
			if src, err = incidentsNow(fh, time.Now()); err != nil {
				fh.Close()
				return fmt.Errorf("sample data %s: %w", path, err)
			}
		}
		sum, err := f.run(ctx, importer.Source{R: src, Format: importer.FormatCSV})
		fh.Close()
		if err != nil {
			return fmt.Errorf("import %s: %w", path, err)
		}
		fmt.Fprintf(out, "loaded %s\n", sum)
	}
	return nil
}

// incidentsNow rewrites an incidents CSV so every outage started an hour ago
// and is expected to end in three hours (open-ended ones stay open-ended).
func incidentsNow(r io.Reader, now time.Time) (io.Reader, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for i, row := range rows {
		if i > 0 && len(row) == 5 {
			row[3] = now.Add(-time.Hour).Format(time.RFC3339)
			if row[4] != "" {
				row[4] = now.Add(3 * time.Hour).Format(time.RFC3339)
			}
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return &buf, w.Error()
}

func waitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func printDemo(w io.Writer, callers []demoCaller, calls []*arisim.Call, records map[string]*router.Record, stream string) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCALLER\tSCENARIO\tGREETING\tIDENT\tSEGMENT\tKEYS\tOUTCOME\tQUEUE / STAGE")
	for i, c := range calls {
		r := records[c.ChannelID()]
		if r == nil {
			fmt.Fprintf(tw, "%d\t%s\t%s\t-\t-\t-\t-\tno record\t-\n", i+1, logging.MaskNumber(callers[i].c.Number), callers[i].title)
			continue
		}
		where := r.Queue
		if r.AbandonStage != "" {
			where = "stage " + string(r.AbandonStage)
		}
		if r.Outcome == router.OutcomeWrongSegment {
			where = "continue → " + c.Transcript().ContinuedTo
		}
		seg := r.Segment
		if r.Tier != "" {
			seg += "/" + r.Tier
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%s\n", i+1, logging.MaskNumber(callers[i].c.Number),
			callers[i].title, r.Greeting.Band, r.Greeting.TimeZone, r.Identification.Method, dash(seg),
			dash(r.IVRPath), r.Outcome, dash(where))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nWhat each caller heard:")
	for i, c := range calls {
		var heard []string
		for _, h := range c.Transcript().Heard {
			m := strings.TrimPrefix(strings.TrimPrefix(h.Media, "sound:"), "tenesa/")
			if h.Status != "done" {
				m += "(" + h.Status + ")"
			}
			heard = append(heard, m)
		}
		fmt.Fprintf(w, "%d. %s\n", i+1, strings.Join(heard, " "))
	}
	fmt.Fprintf(w, "\n%d calls, %d handling records (also in the log and the Redis stream %s).\n", len(calls), len(records), stream)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// scaleQueues runs the acd's wall-clock queue times at the simulator's
// time scale (ring timeouts are the PBX's, already scaled by it).
func scaleQueues(cfg *configs.Config, scale float64) {
	sc := func(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }
	d := &cfg.ACD.QueueDefaults
	d.WrapUp, d.MaxWait, d.AnnounceEvery = sc(d.WrapUp), sc(d.MaxWait), sc(d.AnnounceEvery)
	for name, q := range cfg.Routing.Queues {
		q.WrapUp, q.MaxWait, q.AnnounceEvery = sc(q.WrapUp), sc(q.MaxWait), sc(q.AnnounceEvery)
		cfg.Routing.Queues[name] = q
	}
}
