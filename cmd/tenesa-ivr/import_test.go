package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// TestImportRefusesShrinkAndCollectsOrphans: through the command, a file
// that loses most customers is refused with both counts and how to force
// it, --force replaces them, and "import gc" deletes a killed import's
// version.
func TestImportRefusesShrinkAndCollectsOrphans(t *testing.T) {
	prefix := redistest.Prefix(t)
	t.Setenv("TENESA_REDIS_KEY_PREFIX", prefix)
	t.Setenv("TENESA_REDIS_ADDR", redistest.Addr())
	t.Setenv("TENESA_LOG_LEVEL", "warn")
	sample := filepath.Join("..", "..", "configs", "sample", "customers.csv")
	all, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(t.TempDir(), "small.csv")
	if err := os.WriteFile(small, []byte(strings.Join(strings.SplitAfter(string(all), "\n")[:7], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, stderr := cli("import", "customers", sample); code != 0 {
		t.Fatalf("first import: exit %d: %s", code, stderr)
	}
	code, _, stderr := cli("import", "customers", small)
	if code != 1 || !strings.Contains(stderr, "6 rows would replace the 30") || !strings.Contains(stderr, "--force") {
		t.Fatalf("shrinking import: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := cli("import", "customers", small, "--force"); code != 0 || !strings.Contains(stdout, "6 imported") {
		t.Fatalf("forced import: exit %d: %s %s", code, stdout, stderr)
	}

	keys, err := segmentation.NewKeyspace(prefix)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redistest.Client(t)
	repo, err := segmentation.NewRepository(rdb, keys)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := repo.NewVersion(ctx, segmentation.DatasetCustomers)
	if err != nil {
		t.Fatal(err)
	}
	rdb.HSet(ctx, keys.Base(segmentation.DatasetCustomers, v)+"cb:0", "X", "partial")
	rdb.Del(ctx, keys.Lease(segmentation.DatasetCustomers, v)) // the import was killed
	code, stdout, stderr := cli("import", "gc")
	if code != 0 || !strings.Contains(stdout, "customers: 1 versions deleted (1 keys)") {
		t.Fatalf("import gc: exit %d: %s %s", code, stdout, stderr)
	}
	if n, _ := rdb.Exists(ctx, keys.Base(segmentation.DatasetCustomers, v)+"cb:0").Result(); n != 0 {
		t.Fatal("the orphan is still there")
	}
}
