package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxJSONDepth is the deepest nesting of objects and arrays a JSON load accepts.
// DuckDB's JSON reader infers a type for every level, and thousands of levels
// took minutes and gigabytes.
const maxJSONDepth = 64

// checkJSONDepth reads a JSON (or NDJSON) file once and refuses it when its
// objects and arrays nest deeper than maxJSONDepth, naming the byte offset.
func checkJSONDepth(path, display string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	off, err := jsonTooDeep(bufio.NewReaderSize(f, 1<<16), maxJSONDepth)
	if err != nil {
		return err
	}
	if off >= 0 {
		return fmt.Errorf("%w: %s: JSON nests more than %d levels deep (at byte %d); flatten the data",
			ErrInvalid, display, maxJSONDepth, off)
	}
	return nil
}

// jsonTooDeep returns the offset of the first bracket that opens a level past limit,
// or -1. Brackets inside strings do not count.
func jsonTooDeep(r io.ByteReader, limit int) (int64, error) {
	depth, inString, escaped := 0, false, false
	for off := int64(0); ; off++ {
		c, err := r.ReadByte()
		if errors.Is(err, io.EOF) {
			return -1, nil
		}
		if err != nil {
			return -1, err
		}
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped, inString = c == '\\', c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > limit {
				return off, nil
			}
		case c == '}' || c == ']':
			depth = max(depth-1, 0)
		}
	}
}
