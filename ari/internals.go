package ari

import (
	"fmt"
	"net/http"
	"reflect"
	"unsafe"

	cyari "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/inconshreveable/log15"
	"github.com/rs/zerolog"
)

// installInternals sets an unexported field of a *native.Client built with
// native.New (v5.3.1): httpClient, a zero http.Client (no timeout,
// http.DefaultTransport); native.RequestTimeout is never used. We give it a
// Timeout and our own Transport (whose idle connections Run closes).
//
// The client's event bus stays nil: only native.Connect sets it (and starts
// the library's own reader, which we do not use), our reader routes events
// itself, and nothing subscribes through library handles, so their
// Subscribe/Stage*-with-events helpers must not be used.
//
// It checks the field type first and returns an error instead of writing if
// the library layout ever changes (TestInstallInternals fails loudly then).
func installInternals(c *native.Client, hc http.Client) error {
	v := reflect.ValueOf(c).Elem()
	hcField := v.FieldByName("httpClient")
	if !hcField.IsValid() || hcField.Type() != reflect.TypeFor[http.Client]() {
		return fmt.Errorf("ari: native.Client has no field httpClient of type http.Client (library layout changed)")
	}
	*(*http.Client)(unsafe.Pointer(hcField.UnsafeAddr())) = hc
	return nil
}

// routeLibraryLogs sends the package-global loggers native.Logger and
// ari.Logger (log15, discarding by default) into zerolog. They are global: the
// last controller built wins.
func routeLibraryLogs(log zerolog.Logger) {
	h := log15Handler(log.With().Str("component", "ari-library").Logger())
	native.Logger.SetHandler(h)
	cyari.Logger.SetHandler(h)
}

func log15Handler(l zerolog.Logger) log15.Handler {
	return log15.FuncHandler(func(r *log15.Record) error {
		var ev *zerolog.Event
		switch r.Lvl {
		case log15.LvlCrit, log15.LvlError:
			ev = l.Error()
		case log15.LvlWarn:
			ev = l.Warn()
		case log15.LvlInfo:
			ev = l.Info()
		default:
			ev = l.Debug()
		}
		for i := 0; i+1 < len(r.Ctx); i += 2 {
			k, _ := r.Ctx[i].(string)
			if k == "" {
				k = fmt.Sprint(r.Ctx[i])
			}
			ev = ev.Interface(k, r.Ctx[i+1])
		}
		ev.Msg(r.Msg)
		return nil
	})
}
