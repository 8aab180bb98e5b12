package importer

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// BenchmarkImportGenerated imports TENESA_BENCH_CUSTOMERS (default
// 1,000,000) generated customers per iteration through the full path
// (generate, validate every phone, dedupe, pipelined writes, switch) and
// reports customers/s, the Redis memory the dataset takes, the entries
// (record, number, service ID) and Redis keys per customer, and the CPU
// both sides spent. Run it with
// -benchtime 1x: one iteration is the measurement.
func BenchmarkImportGenerated(b *testing.B) {
	n := 1000000
	if s := os.Getenv("TENESA_BENCH_CUSTOMERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("TENESA_BENCH_CUSTOMERS: %v", err)
		}
	}
	buffer := 0 // TENESA_BENCH_BUFFER: Options.BufferEntries (default when unset)
	if s := os.Getenv("TENESA_BENCH_BUFFER"); s != "" {
		var err error
		if buffer, err = strconv.Atoi(s); err != nil {
			b.Fatalf("TENESA_BENCH_BUFFER: %v", err)
		}
	}
	bucket := 0 // TENESA_BENCH_BUCKET: Options.BucketEntries (default when unset)
	if s := os.Getenv("TENESA_BENCH_BUCKET"); s != "" {
		var err error
		if bucket, err = strconv.Atoi(s); err != nil {
			b.Fatalf("TENESA_BENCH_BUCKET: %v", err)
		}
	}
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		im, err := New(Options{Repository: e.repo, Rules: e.rules, MaxErrors: 0, KeepOld: true, BufferEntries: buffer, BucketEntries: bucket})
		if err != nil {
			b.Fatal(err)
		}
		before := usedMemory(b, e.rdb)
		redisCPU0, goCPU0 := redisCPU(b, e.rdb), processCPU()
		b.StartTimer()
		sum, err := im.GenerateCustomers(context.Background(), n, 1)
		b.StopTimer()
		redisCPU1, goCPU1 := redisCPU(b, e.rdb), processCPU()
		if err != nil {
			b.Fatalf("%v: %v", err, sum.Errors)
		}
		mem := usedMemory(b, e.rdb) - before
		b.ReportMetric(sum.Rate(), "customers/s")
		b.ReportMetric(float64(mem)/(1<<20), "redis-MiB")
		b.ReportMetric(float64(mem)/float64(n), "redis-B/customer")
		b.ReportMetric(float64(sum.Keys)/float64(n), "entries/customer")
		var keys int64 // Redis keys of the version (buckets and meta), counted by SCAN
		iter := e.rdb.Scan(context.Background(), 0, e.repo.Keys().Base(seg.DatasetCustomers, sum.Version)+"*", 10000).Iterator()
		for iter.Next(context.Background()) {
			keys++
		}
		b.ReportMetric(float64(keys)/float64(n), "redis-keys/customer")
		// CPU time per customer, which a loaded machine inflates less than
		// wall time: the server's (INFO cpu) and this process's (rusage).
		b.ReportMetric((redisCPU1-redisCPU0).Seconds()*1e6/float64(n), "redis-cpu-µs/customer")
		b.ReportMetric((goCPU1-goCPU0).Seconds()*1e6/float64(n), "go-cpu-µs/customer")
		b.StartTimer()
	}
}

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO memory")
	return 0
}

func redisCPU(b *testing.B, rdb *redis.Client) time.Duration {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		for _, k := range []string{"used_cpu_user:", "used_cpu_sys:"} {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), k); ok {
				f, _ := strconv.ParseFloat(v, 64)
				total += f
			}
		}
	}
	return time.Duration(total * float64(time.Second))
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
