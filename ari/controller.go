package ari

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/rs/zerolog"
)

// Error classes. Errors returned by this package wrap one of them when it
// applies; test with errors.Is.
var (
	// ErrCallGone: the caller's channel left Stasis or was destroyed.
	ErrCallGone = errors.New("ari: call gone")
	// ErrShutdown: the controller is shutting down (Run's context ended).
	ErrShutdown = errors.New("ari: controller shutting down")
	// ErrTimeout: an ARI request did not answer within Options.RequestTimeout.
	ErrTimeout = errors.New("ari: request timed out")
	// ErrNotFound: ARI answered 404 for a resource other than the caller's
	// channel (a playback, a bridge, an agent leg).
	ErrNotFound = errors.New("ari: not found")
	// ErrReplaced: another connection took our ARI application
	// (ApplicationReplaced). The controller no longer owns its calls: their
	// contexts end with this cause, nothing more is sent to Asterisk, and the
	// new owner adopts the channels. A handler must not write a terminal
	// record for such a call.
	ErrReplaced = errors.New("ari: application replaced by another connection")
	// ErrUnauthorized: ARI answered 401 to a request or to the events
	// WebSocket handshake: the username or password is wrong.
	ErrUnauthorized = errors.New("ari: 401 Unauthorized: Asterisk refused the username or password; check TENESA_ARI_USERNAME / TENESA_ARI_PASSWORD (ari.username / ari.password) against Asterisk's ari.conf")
)

// Defaults for Options.
const (
	DefaultRequestTimeout = 2 * time.Second
	DefaultReconnectMin   = 250 * time.Millisecond
	DefaultReconnectMax   = 30 * time.Second
	DefaultAgentArg       = "agent"
	DefaultRedirectCtx    = "tenesa-after-ivr"
	DefaultPingInterval   = 15 * time.Second
	DefaultMaxPlayback    = 2 * time.Minute
	DefaultPlaybackMargin = 2 * time.Second
)

// Options configures a Controller.
type Options struct {
	URL          string // REST root, e.g. http://127.0.0.1:8088/ari
	WebsocketURL string // events endpoint, e.g. ws://127.0.0.1:8088/ari/events
	Username     string
	Password     string
	Application  string

	RequestTimeout time.Duration // default 2s; bounds every ARI request
	ReconnectMin   time.Duration // default 250ms; first backoff ceiling
	ReconnectMax   time.Duration // default 30s; backoff ceiling

	Logger   zerolog.Logger // credentials are never logged
	Observer Observer       // metrics hooks; nil = no-op

	// AgentArg is the first Stasis argument that marks an agent leg (default
	// "agent"). Legs we originate are recognised by our own bookkeeping; the
	// marker only protects against adopting or handling an agent leg we no
	// longer know (after a restart).
	AgentArg string

	// DrainContext/DrainExtension/DrainPriority is where Drain (and the
	// cleanup of a call whose handler returned without ending it) continues a
	// caller in the dialplan. Empty/0 = the priority after Stasis(), where the
	// dialplan's fallback Queue() lives.
	DrainContext   string
	DrainExtension string
	DrainPriority  int

	// RedirectContext is the dialplan context Call.Redirect continues the
	// caller into, at extension <target>, priority 1 (v5.3.1 has no redirect
	// request). Default "tenesa-after-ivr" (deployments/asterisk).
	RedirectContext string

	// PingInterval is how often the events WebSocket is pinged to detect a
	// dead peer (default 15s; negative disables).
	PingInterval time.Duration

	// PromptDurations maps a media URI ("sound:tenesa/id/greeting-pagi") to
	// its length (deployments/asterisk/sounds durations.json). A started
	// playback whose PlaybackFinished does not come within its length plus
	// PlaybackMargin is stopped and the call goes on. Media of unknown
	// length are bounded by MaxPlayback (default 2m).
	PromptDurations map[string]time.Duration
	PlaybackMargin  time.Duration // default 2s
	MaxPlayback     time.Duration // default 2m

	// MaxCalls bounds the broadcast calls this controller claims: it claims
	// a CallBroadcast only while it owns fewer calls (0 = no limit). Calls
	// sent to the application directly (Stasis()) are not refused.
	MaxCalls int

	// Server names the Asterisk this controller serves when a process
	// serves several (ari.servers): it is in CallInfo.Server and the logs.
	Server string

	// Adopter: this controller took over the application of a dead peer
	// (ari/failover). It adopts the channels left in the application,
	// never claims broadcast calls for it, and RunAdopted ends once the
	// adopted calls are finished (see adopt.go).
	Adopter bool

	// Rejoin, when set, is called after another connection took our
	// application (ApplicationReplaced) and our released calls have
	// ended; it returns once the application may be taken back (with
	// failover: the survivor that took it over released it, see
	// ari/failover WaitOwnApp), and the controller then connects again
	// and takes calls. nil: a replaced controller stays disconnected and
	// not ready until it is stopped.
	Rejoin func(ctx context.Context) error
}

// Controller owns the connection to one Asterisk and every call in our
// Stasis application.
type Controller struct {
	opts   Options
	log    zerolog.Logger
	obs    Observer
	client *native.Client
	rest   *http.Transport // REST keep-alive pool (closed when Run ends)
	wsHTTP *http.Client    // WebSocket handshakes (own transport, closed when Run ends)

	connected atomic.Bool
	replaced  atomic.Bool // ApplicationReplaced: we own nothing any more
	draining  atomic.Bool
	running   atomic.Bool
	unknown   atomic.Int64  // events dropped because DecodeEvent does not know them
	pongs     atomic.Int64  // keep-alive pongs received (tests)
	resynced  atomic.Bool   // a resync succeeded since Run started
	idleCh    chan struct{} // poked when calls end or a resync finished (RunAdopted)

	handler Handler
	wg      sync.WaitGroup // call goroutines, resyncs, drain continues
	// presence follows the agents' endpoints (WatchEndpoints).
	presence *presence
	reqWG    sync.WaitGroup // request helper goroutines (Controller.do)

	mu         sync.Mutex
	stopped    bool // Run is ending: no new calls or tracked goroutines
	closed     bool // Run ended: no new requests
	seq        uint64
	calls      map[string]*call
	legs       map[string]*leg
	playbacks  map[string]*call
	tombstones map[string]time.Time
	claims     map[string]bool // claims sent or won whose StasisStart has not come
	// startedHere: channels whose StasisStart came on the current
	// connection before its resync finished (nil after it): never adopted.
	startedHere map[string]bool
	barriers    map[string]chan struct{} // event barriers in flight (resync)
	barrierSeq  uint64
	restHTTP    *http.Client // requests the library cannot make (POST /events/claim)
}

// NewController validates opts and builds the REST side of the native client.
// It does not connect; Run does.
func NewController(opts Options) (*Controller, error) {
	if opts.URL == "" || opts.WebsocketURL == "" {
		return nil, errors.New("ari: URL and WebsocketURL are required")
	}
	if opts.Application == "" {
		return nil, errors.New("ari: Application is required")
	}
	if opts.MaxCalls < 0 {
		return nil, fmt.Errorf("ari: MaxCalls %d is negative", opts.MaxCalls)
	}
	if opts.Username == "" {
		return nil, errors.New("ari: Username is required")
	}
	for _, u := range []string{opts.URL, opts.WebsocketURL} {
		if _, err := url.Parse(u); err != nil {
			return nil, fmt.Errorf("ari: bad URL %q: %w", redact(u), err)
		}
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.ReconnectMin <= 0 {
		opts.ReconnectMin = DefaultReconnectMin
	}
	if opts.ReconnectMax <= 0 {
		opts.ReconnectMax = DefaultReconnectMax
	}
	if opts.ReconnectMax < opts.ReconnectMin {
		opts.ReconnectMax = opts.ReconnectMin
	}
	if opts.AgentArg == "" {
		opts.AgentArg = DefaultAgentArg
	}
	if opts.RedirectContext == "" {
		opts.RedirectContext = DefaultRedirectCtx
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.PlaybackMargin <= 0 {
		opts.PlaybackMargin = DefaultPlaybackMargin
	}
	if opts.MaxPlayback <= 0 {
		opts.MaxPlayback = DefaultMaxPlayback
	}
	obs := opts.Observer
	if obs == nil {
		obs = NopObserver{}
	}
	lc := opts.Logger.With().Str("component", "ari").Str("app", opts.Application)
	if opts.Server != "" {
		lc = lc.Str("server", opts.Server)
	}
	log := lc.Logger()
	routeLibraryLogs(log)

	client := native.New(&native.Options{
		Application:  opts.Application,
		URL:          strings.TrimRight(opts.URL, "/"),
		WebsocketURL: opts.WebsocketURL,
		Username:     opts.Username,
		Password:     opts.Password,
	})
	dialer := &net.Dialer{Timeout: opts.RequestTimeout, KeepAlive: 30 * time.Second}
	rest := &http.Transport{
		DialContext:           dialer.DialContext,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: opts.RequestTimeout,
	}
	// The hard bound of every library request. Our own per-request timer
	// (Controller.do) fires at RequestTimeout and classifies the error; this
	// one, a little later, guarantees the request goroutine itself ends.
	if err := installInternals(client, http.Client{Transport: rest, Timeout: opts.RequestTimeout + requestGrace}); err != nil {
		return nil, err
	}
	return &Controller{
		opts:       opts,
		log:        log,
		obs:        obs,
		client:     client,
		rest:       rest,
		wsHTTP:     &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}},
		calls:      make(map[string]*call),
		legs:       make(map[string]*leg),
		playbacks:  make(map[string]*call),
		tombstones: make(map[string]time.Time),
		claims:     make(map[string]bool),
		barriers:   make(map[string]chan struct{}),
		restHTTP:   &http.Client{Transport: rest, Timeout: opts.RequestTimeout + requestGrace},
		presence:   newPresence(),
		idleCh:     make(chan struct{}, 1),
	}, nil
}

// requestGrace is how much longer than RequestTimeout the http.Client waits
// before abandoning a request (see Controller.do).
const requestGrace = 250 * time.Millisecond

// Run connects to Asterisk and serves calls with h until ctx ends. It keeps
// reconnecting with backoff while Asterisk is unreachable. When ctx ends,
// every call's context is cancelled with ErrShutdown, and Run returns after
// all call goroutines have finished. It returns nil after a normal shutdown,
// and an error wrapping ErrReplaced when another connection took the
// application meanwhile (the controller then stayed disconnected and not
// ready until ctx ended; see onReplaced), unless Options.Rejoin gave it
// back meanwhile.
func (c *Controller) Run(ctx context.Context, h Handler) (err error) {
	if h == nil {
		return errors.New("ari: nil handler")
	}
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("ari: Run already called")
	}
	c.handler = h
	defer c.rest.CloseIdleConnections()
	defer c.wsHTTP.CloseIdleConnections()
	defer func() {
		c.shutdown()
		c.presence.close()
		if c.replaced.Load() {
			err = fmt.Errorf("ari: application %q: %w", c.opts.Application, ErrReplaced)
		}
	}()
	c.connectLoop(ctx)
	return nil
}

// shutdown cancels every call with ErrShutdown and waits for all goroutines.
func (c *Controller) shutdown() {
	c.mu.Lock()
	c.stopped = true
	calls := make([]*call, 0, len(c.calls))
	for _, cl := range c.calls {
		calls = append(calls, cl)
	}
	c.mu.Unlock()
	if len(calls) > 0 {
		c.log.Info().Int("calls", len(calls)).Msg("shutting down: cancelling calls")
	}
	for _, cl := range calls {
		cl.cancel(ErrShutdown)
	}
	c.wg.Wait()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.reqWG.Wait()
	c.setConnected(false)
}

// Connected reports whether the events WebSocket is up and the application
// still ours (false for good after ApplicationReplaced): the readiness check.
func (c *Controller) Connected() bool { return c.connected.Load() && !c.replaced.Load() }

// Replaced reports whether another connection took our application.
func (c *Controller) Replaced() bool { return c.replaced.Load() }

// ActiveCalls is the number of calls owned by a call goroutine.
func (c *Controller) ActiveCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// UnknownEvents is the number of events dropped because the library cannot
// decode their type.
func (c *Controller) UnknownEvents() int64 { return c.unknown.Load() }

// Drain stops accepting new calls: a new StasisStart is continued in the
// dialplan (Options.DrainContext…, default the next priority, where the
// fallback Queue() answers). Calls in progress run to their end.
func (c *Controller) Drain() {
	if c.draining.CompareAndSwap(false, true) {
		c.log.Info().Int("active_calls", c.ActiveCalls()).Msg("draining: new calls go back to the dialplan")
	}
}

func (c *Controller) setConnected(up bool) {
	if c.connected.Swap(up) != up {
		c.obs.Connected(up)
	}
}

// goTracked starts fn in a goroutine Run waits for. It returns false (and
// does not start fn) once Run is shutting down.
func (c *Controller) goTracked(fn func()) bool {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return false
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		fn()
	}()
	return true
}

// redact hides user info in a URL for logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable url>"
	}
	return u.Redacted()
}
