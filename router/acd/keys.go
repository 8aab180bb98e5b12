package acd

import (
	"fmt"
	"strings"
	"time"
)

// keys builds the pool's Redis key names (see doc.go). Every key of a pool
// starts with base, "<prefix>acd:{<pool>}:", so that in Redis Cluster they
// share one slot (the first hash tag counts: a prefix with its own tag,
// "{tenesa}:", pins them there too).
type keys struct {
	base string
}

func newKeys(prefix, pool string) (keys, error) {
	if prefix == "" {
		prefix = "tenesa:"
	}
	if pool == "" {
		pool = "pool"
	}
	if strings.ContainsAny(prefix, " \t\r\n*?[]") {
		return keys{}, fmt.Errorf("redis.key_prefix: %q contains a blank or a glob character", prefix)
	}
	if strings.ContainsAny(pool, " \t\r\n*?[]{}:,|") {
		return keys{}, fmt.Errorf("acd.pool: %q must be a plain name", pool)
	}
	return keys{base: prefix + "acd:{" + pool + "}:"}, nil
}

func (k keys) agents() string             { return k.base + "agents" }
func (k keys) agent(id string) string     { return k.base + "agent:" + id }
func (k keys) call(id string) string      { return k.base + "call:" + id }
func (k keys) timers() string             { return k.base + "timers" }
func (k keys) lease(inst string) string   { return k.base + "ctl:" + inst }
func (k keys) notices(inst string) string { return k.base + "n:" + inst }
func (k keys) events() string             { return k.base + "ev" }
func (k keys) repeat(service string) string {
	return k.base + "repeat:" + service
}
func (k keys) waiting(q string) string { return k.base + "q:" + q + ":waiting" }

// Scores of the waiting sets: lower is served first. The priority takes the
// high part, the enqueue time in milliseconds the low 42 bits (until 2109):
// a higher priority comes first, then the caller who waited longest. The
// largest score, 1000·2^42, is below 2^53, so float64 scores are exact.
const (
	scoreShift  = 1 << 42
	maxPriority = 999
)

func score(priority int, enqueued time.Time) float64 {
	p := min(max(priority, 0), maxPriority)
	return float64(int64(maxPriority-p)*scoreShift + enqueued.UnixMilli())
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
