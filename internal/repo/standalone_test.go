package repo

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// standaloneTests are what the copy runs: the data finder, and the SQL tools
// over the real beverage data loaded from the copy's data/ folder.
var standaloneTests = []string{"./internal/repo", "./sql/tools"}

const standaloneRun = "^(TestRoot|TestBeverageCSV|TestRealInvariants)$"

// TestStandsAlone copies the tracked files of the repository, and nothing else,
// into an empty temp folder and runs tests that read the beverage data there:
// a clone must not need anything beside it (no sibling data folder, no .tools).
func TestStandsAlone(t *testing.T) {
	for _, tool := range []string{"git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed: %v", tool, err)
			}
			t.Skipf("%s not on PATH: %v", tool, err)
		}
	}
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "mrswarm")
	copyTracked(t, root, clone)

	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	args := append([]string{"test", "-count=1", "-run", standaloneRun}, standaloneTests...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = clone
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in a copy of the repository alone (%s): %v\n%s", clone, err, out)
	}
	for _, pkg := range standaloneTests {
		want := "ok  \t" + ModulePath + strings.TrimPrefix(pkg, ".")
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("go test output lacks %q:\n%s", want, out)
		}
	}
}

// copyTracked copies the files git tracks under root (their working-tree
// content, so uncommitted edits are tested too) into dst.
func copyTracked(t *testing.T, root, dst string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "git", "ls-files", "-z")
	cmd.Dir = root
	list, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	n := 0
	for name := range strings.SplitSeq(strings.TrimRight(string(list), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		fi, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the working tree, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		copyFile(t, src, filepath.Join(dst, name), fi.Mode().Perm())
		n++
	}
	if n == 0 {
		t.Fatal("git ls-files listed no files")
	}
}

func copyFile(t *testing.T, src, dst string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
