package repo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoot(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if want := filepath.Dir(filepath.Dir(wd)); root != want {
		t.Errorf("Root() = %q, want %q", root, want)
	}
}

func TestBeverageCSV(t *testing.T) {
	p, err := BeverageCSV()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := Root()
	if want := filepath.Join(root, "data", "beverage_sales.csv"); p != want {
		t.Errorf("BeverageCSV() = %q, want %q", p, want)
	}
}

func TestRootOutsideModule(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := Root(); err != ErrNotFound {
		t.Errorf("Root() outside the module: %v, want ErrNotFound", err)
	}
}
