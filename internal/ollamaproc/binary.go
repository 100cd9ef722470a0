package ollamaproc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mrswarm/mrswarm/internal/repo"
)

// BinEnv names the environment variable that points at an ollama binary.
const BinEnv = "MRSWARM_OLLAMA_BIN"

// FindBinary returns the ollama binary to run, trying in order: the
// MRSWARM_OLLAMA_BIN environment variable, <module root>/.tools/bin/ollama
// (the module root found from the working directory upwards), the PATH, and
// $GOPATH/bin/ollama. It wraps [ErrNoBinary] when none exists.
func FindBinary() (string, error) {
	if bin := os.Getenv(BinEnv); bin != "" {
		if !isExecutable(bin) {
			return "", fmt.Errorf("%s=%s: %w", BinEnv, bin, ErrNoBinary)
		}
		return bin, nil
	}
	var tried []string
	if root, err := repo.Root(); err == nil {
		bin := filepath.Join(root, ".tools", "bin", "ollama")
		if isExecutable(bin) {
			return bin, nil
		}
		tried = append(tried, bin)
	}
	if bin, err := exec.LookPath("ollama"); err == nil {
		return bin, nil
	}
	tried = append(tried, "PATH")
	if gopath := goPath(); gopath != "" {
		bin := filepath.Join(gopath, "bin", "ollama")
		if isExecutable(bin) {
			return bin, nil
		}
		tried = append(tried, bin)
	}
	return "", fmt.Errorf("tried %s: %w", strings.Join(tried, ", "), ErrNoBinary)
}

func goPath() string {
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.SplitList(p)[0]
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go")
	}
	return ""
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}
