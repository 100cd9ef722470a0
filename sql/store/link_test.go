package store

import (
	"debug/elf"
	"os"
	"runtime"
	"strings"
	"testing"
)

// A program that links the store (this test binary, like mrswarm) exports
// none of DuckDB's symbols: its dynamic symbol table holds only what it
// imports, so the dynamic loader has no large table to page in at start.
func TestNoDuckDBSymbolsExported(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF dynamic symbols: linux only")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	var exported []string
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF && strings.HasPrefix(s.Name, "duckdb_") {
			exported = append(exported, s.Name)
		}
	}
	if len(exported) > 0 {
		t.Errorf("%d of %d dynamic symbols are DuckDB's own exports (e.g. %q): the binary is linked with -rdynamic",
			len(exported), len(syms), exported[:min(3, len(exported))])
	}
}
