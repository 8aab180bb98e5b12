package segmentation_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// BenchmarkByANICacheHit: a caller already in the in-process cache.
func BenchmarkByANICacheHit(b *testing.B) {
	for _, form := range []string{"+6281234567890", "0812-3456-7890"} {
		b.Run(form, func(b *testing.B) {
			f := newFixture(b, "", func(o *seg.Options) { o.Observer = seg.NopObserver{} })
			loadSample(b, f)
			ctx := context.Background()
			if r, err := f.res.ByANI(ctx, form); err != nil || !r.Found {
				b.Fatal(r, err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if r, _ := f.res.ByANI(ctx, form); r.Source != seg.SourceCache {
					b.Fatal("not from the cache")
				}
			}
		})
	}
}

// roundTrips counts what the client sends: one per command or pipeline.
type roundTrips struct{ n atomic.Int64 }

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

// commandStats reads calls per command from INFO commandstats.
func commandStats(b *testing.B, rdb *redis.Client) map[string]int64 {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		out[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.ParseInt(calls, 10, 64)
	}
	return out
}

// BenchmarkByANIRedis: every look-up goes to Redis (cache off), on loopback.
// Reports client round trips per look-up, server-side commands per look-up
// (EVALSHA and the GET, HGET meta, HGET ab/sb and HGET cb it runs, from INFO commandstats: other
// clients of the same server inflate these), and p50/p99 latency.
func BenchmarkByANIRedis(b *testing.B) {
	f := newFixture(b, "", func(o *seg.Options) { o.CacheSize = 0 })
	loadSample(b, f)
	hook := &roundTrips{}
	f.rdb.AddHook(hook)
	ctx := context.Background()
	if err := f.repo.Preload(ctx); err != nil {
		b.Fatal(err)
	}
	numbers := []string{"+6281234567890", "021-555-1234", "0813-1000-2001", "0811 7777 0001"}
	lat := make([]time.Duration, 0, 1<<16)
	before := commandStats(b, f.rdb)
	hook.n.Store(0)
	n := 0
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r, err := f.res.ByANI(ctx, numbers[n%len(numbers)])
		lat = append(lat, time.Since(start))
		if err != nil || r.Degraded || r.Source != seg.SourceRedis {
			b.Fatal(r, err)
		}
		n++
	}
	b.StopTimer()
	trips := hook.n.Load()
	after := commandStats(b, f.rdb)
	slices.Sort(lat)
	b.ReportMetric(float64(trips)/float64(n), "roundtrips/op")
	b.ReportMetric(float64(after["evalsha"]-before["evalsha"])/float64(n), "evalsha/op")
	var total int64
	for k, v := range after {
		if k != "info" {
			total += v - before[k]
		}
	}
	b.ReportMetric(float64(total)/float64(n), "server-cmds/op")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkByANIRedisParallel: concurrent callers (GOMAXPROCS goroutines).
func BenchmarkByANIRedisParallel(b *testing.B) {
	f := newFixture(b, "", func(o *seg.Options) { o.CacheSize = 0 })
	loadSample(b, f)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r, err := f.res.ByANI(ctx, "+6281234567890"); err != nil || r.Source != seg.SourceRedis {
				b.Fatal(r, err)
			}
		}
	})
}
