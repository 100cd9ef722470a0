package store

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// diagnoseCSV reads a CSV that DuckDB rejected and names the first line that
// is malformed, has the wrong number of fields or is not UTF-8; "" if none.
func diagnoseCSV(path string) string {
	delim, err := sniffDelim(path)
	if err != nil {
		return err.Error()
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.Comma, r.FieldsPerRecord, r.ReuseRecord = rune(delim[0]), -1, true
	var header []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return ""
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fmt.Sprintf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
		}
		if err != nil {
			return ""
		}
		line, _ := r.FieldPos(0)
		if header == nil {
			header = append([]string{}, rec...)
		}
		if size := recordBytes(rec); size > csvMaxLine {
			return tooLong(line, header, rec, size)
		}
		if len(rec) != len(header) {
			return fmt.Sprintf("line %d: %d fields, the header has %d", line, len(rec), len(header))
		}
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return fmt.Sprintf("line %d, field %d: invalid UTF-8 (the file must be UTF-8 encoded)", line, i+1)
			}
		}
	}
}

// csvMaxLine is the CSV reader's line limit (DuckDB's max_line_size default).
const csvMaxLine = 2_000_000

// recordBytes is the size of a record's line without quotes.
func recordBytes(rec []string) int {
	n := len(rec)
	for _, v := range rec {
		n += len(v)
	}
	return n
}

// tooLong names a line over the CSV reader's line limit and its longest field,
// with a clipped preview of the value.
func tooLong(line int, header, rec []string, size int) string {
	long := 0
	for i, v := range rec {
		if len(v) > len(rec[long]) {
			long = i
		}
	}
	name := fmt.Sprintf("field %d", long+1)
	if long < len(header) {
		name = fmt.Sprintf("column %d (%s)", long+1, preview(header[long], 64))
	}
	return fmt.Sprintf("line %d is %d bytes, over the CSV reader's limit of %d bytes a line: %s holds %s; shorten that value",
		line, size, csvMaxLine, name, preview(rec[long], 40))
}

// preview is s, or its first n bytes (whole characters) and a marker with its size.
func preview(s string, n int) string {
	if len(s) <= n {
		return fmt.Sprintf("%q", s)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}
