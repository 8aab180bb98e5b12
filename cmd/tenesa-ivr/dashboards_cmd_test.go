package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/deployments/grafana"
)

func TestDashboardsCommandWritesTheGeneratedDashboards(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dashboards")
	var out, errb bytes.Buffer
	if code := run([]string{"dashboards", "--out", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	files, err := grafana.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from grafana.Files()", name)
		}
		if !bytes.Contains(out.Bytes(), []byte(filepath.Join(dir, name))) {
			t.Errorf("output %q does not name %s", out.String(), name)
		}
	}
}
