package main

import (
	"runtime/debug"
	"strings"
)

// version is set by `make build` (-ldflags "-X main.version=..."); when it
// is empty, versionString reads the module's build information, which `go
// install module@version` and a build inside a git checkout fill in.
var version string

// versionString is what `tenesa-ivr --version` prints after the name.
func versionString() string {
	return describeVersion(version, readBuildInfo())
}

func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// describeVersion prefers the ldflags version, then the module version
// (go install ...@v1.2.3), then the VCS revision a build in a checkout
// records, and says "unknown" only when none is there.
func describeVersion(ldflags string, bi *debug.BuildInfo) string {
	if ldflags != "" {
		return ldflags
	}
	if bi == nil {
		return "unknown"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		rev := settings["vcs.revision"]
		if rev == "" {
			return "devel (" + bi.GoVersion + ")"
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v = "devel " + rev
		if settings["vcs.modified"] == "true" {
			v += "-dirty"
		}
	}
	return strings.TrimSpace(v + " (" + bi.GoVersion + ")")
}
