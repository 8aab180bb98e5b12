package ari

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	cyari "github.com/CyCoreSystems/ari/v5"
	"github.com/rs/zerolog"
)

// signalWriter collects log lines and signals every write.
type signalWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	select {
	case w.written <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

const credentialsHint = "check TENESA_ARI_USERNAME / TENESA_ARI_PASSWORD"

// A wrong password is reported as such, naming the settings to check, at
// error level, both for the events WebSocket handshake and for a REST
// request; the password itself never appears.
func TestWrongCredentialsNameTheSettingsToCheck(t *testing.T) {
	leakCheck(t)
	sim := newSim(t, 0.01)
	logs := &signalWriter{written: make(chan struct{}, 1)}
	opts := testOptions(t, sim, newTestObserver())
	opts.Password = "not-the-password"
	opts.Logger = zerolog.New(logs)
	ctrl, err := NewController(opts)
	if err != nil {
		t.Fatalf("NewController: %v", err)
	}

	t.Run("REST request", func(t *testing.T) {
		// A POST: the library decodes a GET's 401 body as the resource and
		// loses the status; POST/DELETE keep it.
		err := ctrl.do(context.Background(), "answer", func() error {
			return ctrl.client.Channel().Answer(cyari.NewKey(cyari.ChannelKey, "no-such-channel"))
		})
		if !errors.Is(err, ErrUnauthorized) || StatusCode(err) != 401 {
			t.Fatalf("err = %v (status %d), want ErrUnauthorized with status 401", err, StatusCode(err))
		}
		if !strings.Contains(err.Error(), credentialsHint) {
			t.Errorf("error %q does not say %q", err, credentialsHint)
		}
	})

	t.Run("events websocket handshake", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- ctrl.Run(ctx, func(context.Context, Call) {}) }()
		deadline := time.NewTimer(waitLong)
		defer deadline.Stop()
		for !strings.Contains(logs.String(), credentialsHint) {
			select {
			case <-logs.written:
			case <-deadline.C:
				cancel()
				<-done
				t.Fatalf("no log line says %q; logs:\n%s", credentialsHint, logs.String())
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		out := logs.String()
		if !strings.Contains(out, `"level":"error"`) || !strings.Contains(out, "events websocket handshake") {
			t.Errorf("the 401 is not logged as an error of the handshake:\n%s", out)
		}
		if strings.Contains(out, opts.Password) {
			t.Errorf("the password appears in the logs:\n%s", out)
		}
		if ctrl.Connected() {
			t.Error("connected with a wrong password")
		}
	})
}
