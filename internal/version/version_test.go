package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/internal/repo"
)

func TestFromBuildInfo(t *testing.T) {
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want Info
		str  string
	}{
		{"no build info", nil, Info{Version: "dev", Revision: "unknown"}, "dev (revision unknown)"},
		{"go run or go test", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			Info{Version: "dev", Revision: "unknown", Go: "go1.26.8"}, "dev (revision unknown, go1.26.8)"},
		{"go build in a modified checkout", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main: debug.Module{Version: "v0.0.0-20261129222758-e88a7e5c1f2a+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "e88a7e5c1f2a"},
				{Key: "vcs.time", Value: "2026-11-29T22:27:58Z"}, {Key: "vcs.modified", Value: "true"}}},
			Info{Version: "v0.0.0-20261129222758-e88a7e5c1f2a+dirty", Revision: "e88a7e5c1f2a",
				Time: "2026-11-29T22:27:58Z", Modified: true, Go: "go1.26.8"},
			"v0.0.0-20261129222758-e88a7e5c1f2a+dirty (revision e88a7e5c1f2a, modified, go1.26.8)"},
		{"tagged release", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}},
			Info{Version: "v1.2.0", Revision: "abc"}, "v1.2.0 (revision abc)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FromBuildInfo(tt.bi)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FromBuildInfo (-want +got):\n%s", diff)
			}
			if got.String() != tt.str {
				t.Errorf("String() = %q, want %q", got.String(), tt.str)
			}
		})
	}
}

// TestBuiltBinaryNamesItsRevision clones the repository (a plain clone: the go
// command does not stamp builds in git worktrees), builds the CLI there as a
// user does and checks that `mrswarm version` names the clone's commit and a
// module version.
func TestBuiltBinaryNamesItsRevision(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("git"); err != nil && os.Getenv("CI") != "true" {
		t.Skipf("git not on PATH: %v", err)
	}
	clone := filepath.Join(t.TempDir(), "mrswarm")
	run(t, root, "git", "clone", "--quiet", "--no-hardlinks", root, clone)
	head := strings.TrimSpace(run(t, clone, "git", "rev-parse", "HEAD"))
	bin := filepath.Join(t.TempDir(), "mrswarm")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/mrswarm")
	build.Dir = clone
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=auto", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out := run(t, clone, bin, "version")
	if !strings.Contains(out, "revision "+head) || !strings.HasPrefix(out, "mrswarm v") {
		t.Errorf("mrswarm version = %q, want a module version and revision %s", out, head)
	}
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}
