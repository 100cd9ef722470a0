// Package repo finds the mrswarm source tree from the working directory: the
// module root (where `make` installs .tools/bin) and its data folder, whose
// beverage_sales.csv tests, benchmarks and test servers read.
package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ModulePath is the Go module whose go.mod marks the root.
const ModulePath = "github.com/mrswarm/mrswarm"

// ErrNotFound reports that the working directory is not inside the module.
var ErrNotFound = errors.New("repo: not inside the " + ModulePath + " module")

// Root is the folder of the mrswarm go.mod, found from the working directory up.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module "+ModulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotFound
		}
		dir = parent
	}
}

// DataDir is <module root>/data, the data the repository ships.
func DataDir() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "data"), nil
}

// BeverageCSV is the real beverage sales data, DataDir()/beverage_sales.csv;
// it is an error when the file is not there.
func BeverageCSV() (string, error) {
	dir, err := DataDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "beverage_sales.csv")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("repo: beverage data: %w", err)
	}
	return p, nil
}
