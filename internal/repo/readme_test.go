package repo

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// goQuickstart is the first Go block of the README's Go quickstart.
var goQuickstart = regexp.MustCompile("(?s)## Quickstart for Go users.*?```go\n(.*?)```")

// TestReadmeGoQuickstart builds the README's Go example as its steps say: a new
// module outside the clone, a replace line pointing at the clone, go mod tidy.
func TestReadmeGoQuickstart(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil && os.Getenv("CI") != "true" {
		t.Skipf("go not on PATH: %v", err)
	}
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := goQuickstart.FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```go block under \"## Quickstart for Go users\"")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"mod", "init", "example.com/myapp"},
		{"mod", "edit", "-replace", ModulePath + "=" + root},
		{"mod", "tidy"},
		{"vet", "."},
		{"build", "-o", filepath.Join(dir, "myapp"), "."},
	} {
		cmd := exec.CommandContext(t.Context(), "go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
}
