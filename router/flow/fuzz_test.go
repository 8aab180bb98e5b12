package flow_test

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

var validOutcome = map[router.Outcome]bool{}

func init() {
	for _, o := range router.Outcomes {
		validOutcome[o] = true
	}
}

// scriptFrom turns fuzz bytes into a caller: which customer, then pairs of
// (wait, key) with key 0xFF meaning hang up. Keys are mapped onto 0-9*#
// and a few invalid ones the IVR must survive.
func scriptFrom(data []byte) arisim.Caller {
	numbers := []string{aniDES, aniUnknown, aniConsumer, aniIncident, aniEnglish, aniPlatinum, "anonymous", ""}
	c := arisim.Caller{}
	if len(data) > 0 {
		c.Number = numbers[int(data[0])%len(numbers)]
		data = data[1:]
	}
	const keys = "0123456789*#"
	for i := 0; i+1 < len(data) && len(c.Script) < 24; i += 2 {
		c.Script = append(c.Script, arisim.Wait(time.Duration(data[i])*40*time.Millisecond))
		if data[i+1] == 0xFF {
			c.Script = append(c.Script, arisim.HangUp())
			return c
		}
		c.Script = append(c.Script, arisim.Press(string(keys[int(data[i+1])%len(keys)])))
	}
	// A caller who never hangs up is still ended by the flow: give up after
	// a while, as real callers do, so every input terminates.
	c.Script = append(c.Script, arisim.Wait(60*time.Second), arisim.HangUp())
	return c
}

func checkRecord(t *testing.T, c arisim.Caller, r *router.Record, tr arisim.CallReport) {
	t.Helper()
	if !validOutcome[r.Outcome] {
		t.Fatalf("invalid outcome %q for %q", r.Outcome, c.Number)
	}
	if r.Outcome == router.OutcomeFailed {
		t.Errorf("call failed: %s (stage %s); heard %v", r.FailReason, r.AbandonStage, heard(tr))
	}
	if (r.Outcome == router.OutcomeAbandonedIVR || r.Outcome == router.OutcomeAbandonedQueue) && r.AbandonStage == "" {
		t.Errorf("abandon without a stage: %+v", r)
	}
	if r.EndedAt.Before(r.StartedAt) {
		t.Errorf("ended %v before started %v", r.EndedAt, r.StartedAt)
	}
	if strings.ContainsAny(r.IVRPath, "abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("ivr path %q", r.IVRPath)
	}
}

// TestRandomCallers drives random DTMF and hang-up timings through the flow:
// every call ends with exactly one handling record and a valid outcome (the
// world fails the test on a second record); TestMain's goleak checks that
// no goroutine is left.
func TestRandomCallers(t *testing.T) {
	w := newWorld(t, worldOpts{})
	rng := rand.New(rand.NewPCG(20261127, 4))
	var wg sync.WaitGroup
	for i := range 24 {
		data := make([]byte, 1+2*rng.IntN(10))
		for j := range data {
			data[j] = byte(rng.IntN(256))
		}
		c := scriptFrom(data)
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run("", func(t *testing.T) {
				r, tr := w.call(t, c)
				checkRecord(t, c, r, tr)
			})
		}()
		_ = i
	}
	wg.Wait()
}

// FuzzCallFlow is the coverage-guided version:
// go test -run '^$' -fuzz FuzzCallFlow -fuzztime 1m ./router/flow/
func FuzzCallFlow(f *testing.F) {
	f.Add([]byte{0, 10, 0, 10, 1, 10, 0xFF})
	f.Add([]byte{1, 20, 4, 5, 7, 5, 1, 5, 11})
	f.Add([]byte{2})
	f.Add([]byte{3, 50, 1, 10, 2, 3, 0xFF})
	f.Add([]byte{5, 1, 9, 1, 0})
	w := newWorld(f, worldOpts{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := scriptFrom(data)
		r, tr := w.call(t, c)
		checkRecord(t, c, r, tr)
	})
}
