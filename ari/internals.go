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

// installInternals sets two unexported fields of a *native.Client built with
// native.New (v5.3.1):
//
//   - bus: only native.Connect sets it, and Connect also starts the library's
//     own WebSocket reader (which blocks while Asterisk is down, reconnects
//     silently, and panics on an event type it does not know). We run our own
//     reader and feed this bus, so library handles' Subscribe keep working.
//   - httpClient: a zero http.Client (no timeout, http.DefaultTransport);
//     native.RequestTimeout is never used. We give it a Timeout and our own
//     Transport (whose idle connections Run closes).
//
// It checks the field types first and returns an error instead of writing if
// the library layout ever changes (TestInstallInternals fails loudly then).
func installInternals(c *native.Client, bus cyari.Bus, hc http.Client) error {
	v := reflect.ValueOf(c).Elem()
	busField := v.FieldByName("bus")
	if !busField.IsValid() || busField.Type() != reflect.TypeFor[cyari.Bus]() {
		return fmt.Errorf("ari: native.Client has no field bus of type ari.Bus (library layout changed)")
	}
	hcField := v.FieldByName("httpClient")
	if !hcField.IsValid() || hcField.Type() != reflect.TypeFor[http.Client]() {
		return fmt.Errorf("ari: native.Client has no field httpClient of type http.Client (library layout changed)")
	}
	*(*cyari.Bus)(unsafe.Pointer(busField.UnsafeAddr())) = bus
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
