package ari

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/CyCoreSystems/ari/v5/client/native"
)

// RequestError is a failed ARI request. It unwraps to its class (ErrTimeout,
// ErrCallGone, ErrNotFound, ErrUnauthorized, ErrShutdown, ErrReplaced, or nil)
// and to the library error.
type RequestError struct {
	Op     string // e.g. "play", "answer"
	Status int    // HTTP status; 0 when there was none (timeout, network)
	Class  error  // ErrTimeout, ErrCallGone, ErrNotFound, ErrUnauthorized, ErrShutdown or nil
	Err    error  // the library's or context's error
}

func (e *RequestError) Error() string {
	msg := "ari " + e.Op
	if e.Status != 0 {
		msg += ": status " + strconv.Itoa(e.Status)
	}
	if e.Class != nil {
		msg += ": " + e.Class.Error()
	}
	if e.Err != nil && e.Err != e.Class {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the class and the underlying error.
func (e *RequestError) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.Class != nil {
		out = append(out, e.Class)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// StatusCode returns the HTTP status of a failed ARI request, or 0.
func StatusCode(err error) int {
	var re *RequestError
	if errors.As(err, &re) {
		return re.Status
	}
	return libraryStatus(err)
}

// do runs one library request bounded by Options.RequestTimeout and by ctx.
// The request runs in a helper goroutine (the library takes no context); the
// caller returns at the timeout or when ctx ends, and the helper itself ends
// at the latest when the http.Client's own Timeout (RequestTimeout + grace)
// fires. Run waits for helpers, so none outlives the controller.
func (c *Controller) do(ctx context.Context, op string, fn func() error) error {
	return c.doWith(ctx, nil, op, fn)
}

// doWith is do, also ended by a second context (the call's), if not nil.
func (c *Controller) doWith(ctx, callCtx context.Context, op string, fn func() error) error {
	var callDone <-chan struct{}
	if callCtx != nil {
		callDone = callCtx.Done()
	}
	if ctx.Err() != nil {
		return &RequestError{Op: op, Class: classOf(ctx), Err: context.Cause(ctx)}
	}
	if c.replaced.Load() {
		// Another controller owns the application and its channels now.
		return &RequestError{Op: op, Class: ErrReplaced, Err: ErrReplaced}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return &RequestError{Op: op, Class: ErrShutdown, Err: ErrShutdown}
	}
	c.reqWG.Add(1) // under mu, before Run's final reqWG.Wait
	c.mu.Unlock()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		defer c.reqWG.Done()
		done <- fn()
	}()
	t := time.NewTimer(c.opts.RequestTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		if lo, ok := c.obs.(LatencyObserver); ok {
			lo.RequestDone(op, time.Since(start))
		}
		if err == nil {
			return nil
		}
		status := libraryStatus(err)
		c.obs.RequestFailed(op, status)
		var class error
		switch {
		case status == 404:
			class = ErrNotFound
		case status == 401:
			class = ErrUnauthorized
		case status == 0 && isTimeout(err):
			class = ErrTimeout
		}
		return &RequestError{Op: op, Status: status, Class: class, Err: err}
	case <-t.C:
		c.obs.RequestFailed(op, 0)
		return &RequestError{Op: op, Class: ErrTimeout, Err: fmt.Errorf("no answer within %s", c.opts.RequestTimeout)}
	case <-ctx.Done():
		return &RequestError{Op: op, Class: classOf(ctx), Err: context.Cause(ctx)}
	case <-callDone:
		return &RequestError{Op: op, Class: classOf(callCtx), Err: context.Cause(callCtx)}
	}
}

// goRequest runs fn, which sends requests (do), in a goroutine that Run
// waits for like a request's helper (reqWG); false (fn not run) once the
// controller is closed, as do would refuse.
func (c *Controller) goRequest(fn func()) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.reqWG.Add(1) // under mu, before Run's final reqWG.Wait
	c.mu.Unlock()
	go func() {
		defer c.reqWG.Done()
		fn()
	}()
	return true
}

// classOf maps an ended context to an error class.
func classOf(ctx context.Context) error {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, ErrCallGone):
		return ErrCallGone
	case errors.Is(cause, ErrShutdown):
		return ErrShutdown
	case errors.Is(cause, ErrReplaced):
		return ErrReplaced
	case errors.Is(cause, context.DeadlineExceeded):
		return ErrTimeout
	}
	return nil
}

var statusRE = regexp.MustCompile(`Non-2XX response: (\d{3})`)

// libraryStatus digs the HTTP status out of a v5.3.1 error. post/del return
// the library's RequestError as is; Data() wraps it in an eris root error
// around an unexported type with Cause() but no Unwrap, so the last resort
// is the message "Non-2XX response: 404 Not Found".
func libraryStatus(err error) int {
	if err == nil {
		return 0
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.code
	}
	for e := err; e != nil; {
		if re, ok := e.(native.RequestError); ok {
			return re.Code()
		}
		if c, ok := e.(interface{ Cause() error }); ok && c.Cause() != e {
			if s := libraryStatus(c.Cause()); s != 0 {
				return s
			}
		}
		e = errors.Unwrap(e)
	}
	if m := statusRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
