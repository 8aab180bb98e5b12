package deployments_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// dockerfile is what the tests need of deployments/compose/Dockerfile.
type dockerfile struct {
	goImage    string // the build stage's golang image tag (1.26-bookworm)
	buildPkg   string // the package `go build` builds (./cmd/tenesa-ivr)
	buildOut   string // its -o
	copied     map[string]string
	entrypoint string
	expose     []int
}

func readDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	d := dockerfile{copied: map[string]string{}}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			if strings.HasPrefix(f[1], "golang:") {
				d.goImage = strings.TrimPrefix(f[1], "golang:")
			}
		case "RUN":
			if i := indexOf(f, "build"); i > 0 && f[i-1] == "go" {
				d.buildPkg = f[len(f)-1]
				if o := indexOf(f, "-o"); o > 0 {
					d.buildOut = f[o+1]
				}
			}
		case "COPY":
			if len(f) == 4 && strings.HasPrefix(f[1], "--from=") {
				d.copied[f[2]] = f[3]
			}
		case "ENTRYPOINT":
			var ep []string
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, f[0]))), &ep); err != nil || len(ep) == 0 {
				t.Fatalf("%s: ENTRYPOINT is not an exec-form list: %q", path, line)
			}
			d.entrypoint = ep[0]
		case "EXPOSE":
			for _, p := range f[1:] {
				n, err := strconv.Atoi(strings.TrimSuffix(p, "/tcp"))
				if err != nil {
					t.Fatalf("%s: EXPOSE %q", path, p)
				}
				d.expose = append(d.expose, n)
			}
		}
	}
	return d
}

func indexOf(xs []string, x string) int {
	for i, s := range xs {
		if s == x {
			return i
		}
	}
	return -1
}

var goImageVersion = regexp.MustCompile(`^(\d+)\.(\d+)`)

// checkDockerfile: the build stage's Go is at least go.mod's, the package it
// builds exists in the repository (root: the build context) and is a main
// package, and the entrypoint is the binary copied from the build stage.
func checkDockerfile(t *testing.T, d dockerfile, root string) []string {
	var out []string
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goLine == nil {
		t.Fatal("go.mod has no go directive")
	}
	goVersion := string(goLine[1])
	want := goImageVersion.FindStringSubmatch(goVersion)
	got := goImageVersion.FindStringSubmatch(d.goImage)
	switch {
	case got == nil:
		out = append(out, "Dockerfile: no golang:<major>.<minor> build image")
	case atoi(got[1]) < atoi(want[1]) || atoi(got[1]) == atoi(want[1]) && atoi(got[2]) < atoi(want[2]):
		out = append(out, "Dockerfile: golang:"+d.goImage+" is older than go.mod's go "+goVersion)
	}
	pkgDir := filepath.Join(root, filepath.FromSlash(d.buildPkg))
	if d.buildPkg == "" || !strings.HasPrefix(d.buildPkg, "./") {
		out = append(out, "Dockerfile: go build of "+strconv.Quote(d.buildPkg)+", want a ./ package path")
	} else if b, err := os.ReadFile(filepath.Join(pkgDir, "main.go")); err != nil || !strings.Contains(string(b), "\npackage main") && !strings.HasPrefix(string(b), "package main") {
		out = append(out, "Dockerfile: go build "+d.buildPkg+": no main package at "+pkgDir)
	}
	if dest, ok := d.copied[d.buildOut]; !ok || dest != d.entrypoint {
		out = append(out, "Dockerfile: ENTRYPOINT "+d.entrypoint+" is not the binary built at "+d.buildOut+" (copied to "+dest+")")
	}
	return out
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func TestDockerfileBuildsTheControllerWithTheModulesGo(t *testing.T) {
	expectNone(t, checkDockerfile(t, readDockerfile(t, "compose/Dockerfile"), ".."))
}

func TestDockerfileCheckFindsEachMismatch(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		mutate     func(*dockerfile)
	}{
		{"a Go older than go.mod", "is older than go.mod", func(d *dockerfile) { d.goImage = "1.21-bookworm" }},
		{"a build path that does not exist", "no main package", func(d *dockerfile) { d.buildPkg = "./cmd/tenesa" }},
		{"a build path that is not a main package", "no main package", func(d *dockerfile) { d.buildPkg = "./configs" }},
		{"an entrypoint that is not the built binary", "is not the binary built", func(d *dockerfile) { d.entrypoint = "/bin/tenesa-ivr" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := readDockerfile(t, "compose/Dockerfile")
			tc.mutate(&d)
			expectProblem(t, checkDockerfile(t, d, ".."), tc.want)
		})
	}
}
