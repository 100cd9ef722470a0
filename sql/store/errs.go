package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// classify wraps a DuckDB error from a statement run under ctx (bounded by the
// statement timeout) in the matching sentinel. Caller cancellation passes through.
func classify(ctx context.Context, parent context.Context, err error) error {
	if err == nil {
		return nil
	}
	if perr := parent.Err(); perr != nil {
		return fmt.Errorf("%w: %v", perr, err)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return err
	}
	if strings.Contains(de.Msg, genMarker) { // a generator's guard (genrewrite.go)
		return fmt.Errorf("%w: %s", ErrLimit, cleanMsg(strings.TrimPrefix(de.Msg, "Invalid Input Error: ")))
	}
	switch de.Type {
	case duckdb.ErrorTypePermission:
		return fmt.Errorf("%w: %s", ErrPermission, cleanMsg(de.Msg))
	case duckdb.ErrorTypeInterrupt:
		return fmt.Errorf("%w: %s", ErrTimeout, cleanMsg(de.Msg))
	case duckdb.ErrorTypeParser, duckdb.ErrorTypeBinder, duckdb.ErrorTypeCatalog,
		duckdb.ErrorTypeConversion, duckdb.ErrorTypeInvalidInput, duckdb.ErrorTypeSyntax,
		duckdb.ErrorTypeOutOfRange, duckdb.ErrorTypeDivideByZero, duckdb.ErrorTypeMismatchType,
		duckdb.ErrorTypeInvalidType, duckdb.ErrorTypeParameterNotResolved,
		duckdb.ErrorTypeParameterNotAllowed, duckdb.ErrorTypeNotImplemented:
		return fmt.Errorf("%w: %s", ErrInvalid, cleanMsg(de.Msg))
	case duckdb.ErrorTypeOutOfMemory:
		return fmt.Errorf("%w: out of memory: the statement needs more than the server's memory limit allows; "+
			"aggregate or filter more, or raise --memory-limit (MRSWARM_MEMORY_LIMIT) (%s)", ErrLimit, cleanMsg(de.Msg))
	}
	return err
}

// cleanMsg keeps the informative head of a DuckDB message: the lines before the
// suggestions, the option dump and the "LINE n:" pointer, joined with "; ".
// A long line (a 10 MB value echoed back) is clipped on its own, so that the
// reason on the lines after it survives.
func cleanMsg(msg string) string {
	var keep []string
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			if len(keep) > 0 {
				break
			}
			continue
		}
		if strings.HasPrefix(line, "Possible Solution") || strings.HasPrefix(line, "LINE ") {
			break
		}
		if len(line) > maxMsgLine {
			line = clipBytes(line, maxMsgLine-40) + fmt.Sprintf("… (%d bytes)", len(line))
		}
		keep = append(keep, line)
	}
	out := strings.Join(keep, "; ")
	if len(out) > 1000 {
		out = clipBytes(out, 1000) + "…"
	}
	return out
}

// maxMsgLine bounds one line of a DuckDB message that cleanMsg keeps.
const maxMsgLine = 240

// clipBytes is s cut to at most n bytes on a character boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
