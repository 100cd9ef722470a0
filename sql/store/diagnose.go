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
	want := -1
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
		if want < 0 {
			want = len(rec)
		}
		if len(rec) != want {
			return fmt.Sprintf("line %d: %d fields, the header has %d", line, len(rec), want)
		}
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return fmt.Sprintf("line %d, field %d: invalid UTF-8 (the file must be UTF-8 encoded)", line, i+1)
			}
		}
	}
}
