package ollamaproc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BinEnv names the environment variable that points at an ollama binary.
const BinEnv = "MRSWARM_OLLAMA_BIN"

// ModulePath is the Go module whose root holds the project-local
// .tools/bin/ollama that `make ollama` installs.
const ModulePath = "github.com/mrswarm/mrswarm"

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
	if root, err := ModuleRoot(); err == nil {
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

// ModuleRoot returns the directory of the mrswarm go.mod, searching from the
// working directory upwards.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module "+ModulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("ollamaproc: not inside the " + ModulePath + " module")
		}
		dir = parent
	}
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
