package store

// The DuckDB bindings link with -rdynamic, so that extensions DuckDB loads
// at run time could resolve its symbols in the host. The store links its
// extensions in and forbids loading others (enable_external_access = false),
// so the export only puts DuckDB's and libstdc++'s ~58,000 symbols into the
// binary's dynamic symbol table (6.6 MiB), which the dynamic loader searches,
// and so pages in, at every start of every program that links the store.

// #cgo LDFLAGS: -Wl,--no-export-dynamic
import "C"
