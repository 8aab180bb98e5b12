package arisim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Username and Password are the Basic auth credentials (also accepted
	// as api_key=user:pass). An empty Username turns auth off.
	Username, Password string
	// TimeScale: 1 = real time; 0.01 = every sim duration (waits, prompt
	// durations, ring timeouts, DTMF spacing) runs 100x faster. 0 means 1.
	TimeScale float64
	// PromptDurations maps a media URI (e.g. "sound:tenesa/id/greeting-pagi")
	// to its duration in sim time; it overrides the built-in table.
	PromptDurations map[string]time.Duration
	// DefaultPromptDuration is used for existing media without a known
	// duration. Default 1s.
	DefaultPromptDuration time.Duration
	// MissingSounds reports media that do not exist (their playback fails).
	// Default: sound names starting with "no-such" or containing a comma,
	// and unknown URI schemes.
	MissingSounds func(uri string) bool
	// Logger receives debug logs. Default: disabled.
	Logger zerolog.Logger
	// EntityID is system.entity_id and every event's asterisk_id.
	// Default "00:00:5e:00:53:01".
	EntityID string
	// WebsocketWriteTimeout drops an events socket whose client does not
	// read for that long (real time), like Asterisk's websocket_write_timeout.
	// Default 5s.
	WebsocketWriteTimeout time.Duration
	// WebsocketQueue is the per-socket outbound queue length; a socket whose
	// queue overflows is dropped. Default 4096.
	WebsocketQueue int
	// BroadcastTimeout is StasisBroadcast's timeout in [broadcast-in]
	// (sim time). Default 2s, as recorded.
	BroadcastTimeout time.Duration
	// Hooks are called as requests arrive and events go out (measurements).
	Hooks Hooks
	// SystemName is asterisk.conf's systemname: channel ids become
	// <systemname>-<epoch>.<seq>, unique across boxes (several Asterisks
	// share one queue state keyed by channel id).
	SystemName string
}

// Server is one simulated Asterisk. All methods are goroutine-safe.
type Server struct {
	opts Options
	log  zerolog.Logger
	clk  *clock

	handler http.Handler

	mu     sync.Mutex
	closed bool
	done   chan struct{}
	// scheduler state (clock.go)
	timerq       timerHeap
	timerSeq     uint64
	schedRunning bool
	schedWake    chan struct{}
	schedWG      sync.WaitGroup
	virt         time.Time // sim time of the running timer callback
	connWG       sync.WaitGroup

	channels  map[string]*channel
	bridges   map[string]*bridge
	playbacks map[string][]*playback
	apps      map[string]*app
	sockets   map[*wsConn]struct{}
	agents    map[string]Agent
	agentLegs map[string][]*AgentLeg
	devices   map[string]string
	calls     []*Call

	epoch    int64
	uniq     int
	localSeq int
	snoopSeq int
	// dropEvents loses matching events (DropEvents).
	dropEvents func(typ, id string) bool
	sipSeq     int
	chanSeq    int
	wsSeq      int
	// staleDup reproduces Asterisk's stale error state: after a 409
	// duplicate-id originate, the next allocation failure answers 409 too.
	staleDup bool

	stalls   map[*stall]struct{}
	failures map[*failure]struct{}
	// late: DelayResponses (chaos.go)
	late  map[*stall]struct{}
	holds map[*hold]struct{} // HoldEvents
	gates map[*gate]struct{} // GateRequests
	// offline PJSIP resources (SetEndpointOnline) and the apps subscribed
	// to each endpoint ("PJSIP/agent1001" → apps)
	offline          map[string]bool
	endpointWatchers map[string]map[string]bool
	bridgeAddDelay   time.Duration

	srv *http.Server
	ln  net.Listener
}

// New builds a Server; call Start (or serve Handler yourself).
func New(opts Options) *Server {
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	if opts.DefaultPromptDuration <= 0 {
		opts.DefaultPromptDuration = time.Second
	}
	if opts.EntityID == "" {
		opts.EntityID = "00:00:5e:00:53:01"
	}
	if opts.WebsocketWriteTimeout <= 0 {
		opts.WebsocketWriteTimeout = 5 * time.Second
	}
	if opts.WebsocketQueue <= 0 {
		opts.WebsocketQueue = 4096
	}
	if opts.MissingSounds == nil {
		opts.MissingSounds = defaultMissing
	}
	s := &Server{
		opts:             opts,
		log:              opts.Logger,
		clk:              newClock(opts.TimeScale),
		done:             make(chan struct{}),
		schedWake:        make(chan struct{}, 1),
		channels:         map[string]*channel{},
		bridges:          map[string]*bridge{},
		playbacks:        map[string][]*playback{},
		apps:             map[string]*app{},
		sockets:          map[*wsConn]struct{}{},
		agents:           map[string]Agent{},
		agentLegs:        map[string][]*AgentLeg{},
		devices:          map[string]string{},
		stalls:           map[*stall]struct{}{},
		failures:         map[*failure]struct{}{},
		late:             map[*stall]struct{}{},
		holds:            map[*hold]struct{}{},
		gates:            map[*gate]struct{}{},
		offline:          map[string]bool{},
		endpointWatchers: map[string]map[string]bool{},
	}
	s.epoch = s.clk.now().Unix()
	s.handler = s.routes()
	return s
}

// Handler serves /ari/... (REST and the events WebSocket).
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.lock()
	if s.srv != nil || s.closed {
		s.unlock()
		_ = ln.Close()
		return errors.New("arisim: already started or closed")
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	srv := s.srv
	s.connWG.Add(1)
	s.unlock()
	go func() {
		defer s.connWG.Done()
		_ = srv.Serve(ln)
	}()
	return nil
}

// ListenAndServe starts the server on addr and blocks until ctx ends, then
// closes it. It is what a CLI ("tenesa-ivr sim --listen ...") needs.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	if err := s.Start(addr); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}

// Addr is the listening address after Start.
func (s *Server) Addr() string {
	s.lock()
	defer s.unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL is the REST base URL, e.g. "http://127.0.0.1:PORT/ari".
func (s *Server) URL() string { return "http://" + s.Addr() + "/ari" }

// WebsocketURL is the events URL, e.g. "ws://127.0.0.1:PORT/ari/events".
func (s *Server) WebsocketURL() string { return "ws://" + s.Addr() + "/ari/events" }

// Close stops the listener, closes every WebSocket, cancels every timer and
// waits until no goroutine of the server is left.
func (s *Server) Close() error {
	s.lock()
	if s.closed {
		s.unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for _, tm := range s.timerq {
		tm.done = true
	}
	s.timerq = nil
	for ws := range s.sockets {
		ws.kill()
	}
	srv := s.srv
	for _, c := range s.calls {
		c.finish()
	}
	s.unlock()
	var err error
	if srv != nil {
		err = srv.Close()
	}
	s.schedWG.Wait()
	s.connWG.Wait()
	return err
}
