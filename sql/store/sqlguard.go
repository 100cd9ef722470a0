package store

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// deniedOptions are read_csv/read_json options that make DuckDB create tables
// (temporary tables on the connection, which then shadow datasets by name).
var deniedOptions = map[string]bool{
	"store_rejects": true, "rejects_table": true, "rejects_scan": true, "rejects_limit": true,
}

// deniedFunctions are functions a read-only SELECT may call in DuckDB but
// user SQL must not: they change the database or its configuration, run SQL
// hidden in a string, or reveal secrets and internal files.
var deniedFunctions = map[string]bool{
	"query": true, "query_table": true, "json_execute_serialized_sql": true,
	"checkpoint": true, "force_checkpoint": true, "copy_database": true, "import_database": true,
	"read_duckdb": true, "duckdb_secrets": true, "which_secret": true, "add_parquet_key": true,
	"duckdb_temporary_files": true, "duckdb_logs": true, "duckdb_logs_parsed": true,
	"truncate_duckdb_logs": true, "write_log": true, "setseed": true, "nextval": true,
}

// CheckUserSQL refuses, before DuckDB parses or binds anything, user SQL that
// could leave state behind or reach what it must not: a statement that does
// not start like a SELECT, the read options that create reject tables, and
// the functions in deniedFunctions (also enable_*/disable_* settings). It
// works on words, not on a parse tree, and errs on the side of refusing: a
// denied word inside a string literal is refused too. Errors wrap ErrInvalid.
//
// It is one pure function so that further checks (table references of a
// tenant, say) can be added beside it.
func CheckUserSQL(q string) error {
	if strings.TrimSpace(q) == "" {
		return fmt.Errorf("%w: empty query; %s", ErrInvalid, allowedSQL)
	}
	if !utf8.ValidString(q) {
		return fmt.Errorf("%w: the query is not valid UTF-8", ErrInvalid)
	}
	if w := firstWord(q); !leadWords[w] {
		return fmt.Errorf("%w: %s; got a statement starting with %q", ErrInvalid, allowedSQL, clipN(w, 32))
	}
	lower := strings.ToLower(q)
	if unicodeEscape(lower) {
		return fmt.Errorf("%w: unicode-escaped names and strings (U&) are not allowed in user SQL", ErrInvalid)
	}
	for i := 0; i < len(lower); {
		start, end := nextWord(lower, i)
		if start < 0 {
			break
		}
		i = end
		w := lower[start:end]
		if deniedOptions[w] {
			return fmt.Errorf("%w: the read option %s creates tables and is not allowed in user SQL", ErrInvalid, w)
		}
		if isCall(lower[end:]) && (deniedFunctions[w] || strings.HasPrefix(w, "enable_") || strings.HasPrefix(w, "disable_")) {
			return fmt.Errorf("%w: the function %s is not allowed in user SQL (%s)", ErrInvalid, w, allowedSQL)
		}
	}
	return nil
}

// nextWord finds the next run of [a-z0-9_] in s from i, or -1.
func nextWord(s string, i int) (start, end int) {
	for i < len(s) && !isWordByte(s[i]) {
		i++
	}
	if i == len(s) {
		return -1, -1
	}
	start = i
	for i < len(s) && isWordByte(s[i]) {
		i++
	}
	return start, i
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'
}

// isCall reports whether rest (what follows a word) opens an argument list,
// after spaces, identifier quotes and comments.
func isCall(rest string) bool {
	for {
		rest = strings.TrimLeft(rest, " \t\r\n\f\v\"")
		switch {
		case strings.HasPrefix(rest, "--"):
			i := strings.IndexByte(rest, '\n')
			if i < 0 {
				return false
			}
			rest = rest[i+1:]
		case strings.HasPrefix(rest, "/*"):
			i := blockCommentEnd(rest)
			if i < 0 {
				return false
			}
			rest = rest[i:]
		default:
			return strings.HasPrefix(rest, "(")
		}
	}
}

// blockCommentEnd is the index after the block comment (nested ones included)
// that s starts with, or -1 when it is not closed.
func blockCommentEnd(s string) int {
	depth := 0
	for i := 0; i+1 < len(s); i++ {
		switch s[i : i+2] {
		case "/*":
			depth++
			i++
		case "*/":
			depth--
			i++
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// unicodeEscape reports a U& string or identifier (U&'...' or U&"..."), whose
// escapes could spell a denied word.
func unicodeEscape(lower string) bool {
	for i := strings.Index(lower, "u&"); i >= 0; {
		if (i == 0 || !isWordByte(lower[i-1])) && i+2 < len(lower) && (lower[i+2] == '\'' || lower[i+2] == '"') {
			return true
		}
		j := strings.Index(lower[i+2:], "u&")
		if j < 0 {
			break
		}
		i += 2 + j
	}
	return false
}
