// Package version names the running build: the main module's version and the
// VCS revision that the go command stamps into binaries built from a checkout
// (runtime/debug build info), shown by `mrswarm version`, GET /healthz and the
// OpenAPI document's info.version.
package version

import (
	"runtime/debug"
	"strings"
)

// Info describes a build.
type Info struct {
	// Version is the main module's version: a tag, or a pseudo-version such as
	// v0.0.0-20261129222758-e88a7e5c1f2a (+dirty when built from a modified
	// tree); "dev" when the build has none (go run, go test).
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from; "unknown" without one.
	Revision string `json:"revision"`
	// Time is the commit's time (RFC 3339), empty without one.
	Time string `json:"time,omitempty"`
	// Modified reports uncommitted changes in the tree the binary was built from.
	Modified bool `json:"modified"`
	// Go is the toolchain that built the binary.
	Go string `json:"go"`
}

// Get returns the running binary's build info.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return FromBuildInfo(bi)
}

// FromBuildInfo extracts Info from Go's build info (nil: an unstamped build).
func FromBuildInfo(bi *debug.BuildInfo) Info {
	i := Info{Version: "dev", Revision: "unknown"}
	if bi == nil {
		return i
	}
	i.Go = bi.GoVersion
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		i.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i
}

// String is the one-line form: "v0.0.0-… (revision e88a7e5c1f2a, modified, go1.26.8)".
func (i Info) String() string {
	parts := []string{"revision " + i.Revision}
	if i.Modified {
		parts = append(parts, "modified")
	}
	if i.Go != "" {
		parts = append(parts, i.Go)
	}
	return i.Version + " (" + strings.Join(parts, ", ") + ")"
}
