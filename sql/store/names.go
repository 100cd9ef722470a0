package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

var (
	nameRE   = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	handleRE = regexp.MustCompile(`^res_[0-9a-f]{8}$`)
)

// reservedNames cannot be dataset names: they clash with the store's schemas or prefixes.
var reservedNames = map[string]bool{"mrswarm": true, "results": true, "main": true,
	"information_schema": true, "pg_catalog": true, "temp": true, "system": true}

// checkName validates a dataset name: [a-z_][a-z0-9_]{0,62}, not an SQL keyword,
// not one of the store's own names.
func (s *Store) checkName(name string) error {
	switch {
	case !nameRE.MatchString(name):
		return fmt.Errorf("%w: dataset name %q must match [a-z_][a-z0-9_]{0,62}", ErrInvalid, name)
	case s.keywords[name], reservedNames[name]:
		return fmt.Errorf("%w: dataset name %q is reserved", ErrInvalid, name)
	case strings.HasPrefix(name, "_load_"), strings.HasPrefix(name, "res_"), strings.HasPrefix(name, "duckdb_"):
		return fmt.Errorf("%w: dataset name %q uses a reserved prefix (_load_, res_, duckdb_)", ErrInvalid, name)
	}
	return nil
}

// checkHandle reports ErrNotFound for anything that is not a well-formed handle.
func checkHandle(h string) error {
	if !handleRE.MatchString(h) {
		return fmt.Errorf("result %q: %w", h, ErrNotFound)
	}
	return nil
}

// randHex returns n random bytes as hex.
func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newHandle() string { return "res_" + randHex(4) }

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteLit quotes an SQL string literal.
func quoteLit(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
