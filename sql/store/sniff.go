package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	dbsql "database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// compression names the compression of a file from its first bytes ("gzip",
// "zstd" or "none"), so an upload need not carry the right file extension.
func compression(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	switch {
	case n >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return "gzip", nil
	case n == 4 && bytes.Equal(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd", nil
	}
	return "none", nil
}

// sniffLines is how many lines the delimiter sniffer reads.
const sniffLines = 200

// sniffDelim picks the delimiter among , ; tab | that splits the first lines
// (quotes respected) into the same number of fields, more than one, on the
// most lines; ties go to more fields. A quoted header holding ";" or a TSV
// whose header has commas is read right, and a ragged row cannot make the file
// one wide column. A gzip file is sniffed through its decompressed bytes.
func sniffDelim(path string) (string, error) {
	head, err := readHead(path)
	if err != nil {
		return "", err
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return "", fmt.Errorf("%w: line 1: empty file or empty header line", ErrInvalid)
	}
	best, bestScore, bestFields := ",", -1, 0
	for _, d := range []rune{',', ';', '\t', '|'} {
		score, fields := delimScore(head, d)
		if fields > 1 && (score > bestScore || score == bestScore && fields > bestFields) {
			best, bestScore, bestFields = string(d), score, fields
		}
	}
	return best, nil
}

// readHead returns up to sniffLines lines (at most 1 MiB) of the file, decompressed.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if c, _ := compression(path); c == "gzip" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%w: not a valid gzip file: %v", ErrInvalid, err)
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReader(io.LimitReader(r, 1<<20))
	var out []byte
	for i := 0; i < sniffLines; i++ {
		line, err := br.ReadBytes('\n')
		out = append(out, line...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, nil // a cut gzip stream: sniff what was read
		}
	}
	return out, nil
}

// delimScore counts the records after the header that have as many fields as
// the header when split by d, and returns it with the header's field count.
func delimScore(head []byte, d rune) (score, fields int) {
	r := csv.NewReader(bytes.NewReader(head))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = d, -1, true, true
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err != nil {
			return score, fields
		}
		switch {
		case i == 0:
			fields = len(rec)
		case len(rec) == fields:
			score++
		}
	}
}

// sniffedCSV sniffs the CSV src once with DuckDB's own sniffer (sniff_csv,
// with the options the reader uses) and returns the reader with what it
// found pinned — comment character, timestamp format and every column's name
// and type, auto_detect off — and those columns. The reads after it (the
// planning sample, the load) then do not sniff the file again and read it as
// a reader that sniffs would (TestSniffedReaderReadsAsTheSniffingReader).
// The line ending is left to the reader, which takes \n, \r\n and \r alike:
// DuckDB 1.5.6 pinned to new_line = '\r\n' reads no rows at all, silently.
func (s *Store) sniffedCSV(ctx context.Context, src source) (string, []Column, error) {
	args, err := csvArgs(src, "")
	if err != nil {
		return "", nil, err
	}
	var comment, tsFormat dbsql.NullString
	var colsJSON string
	q := `SELECT Comment, TimestampFormat, to_json(Columns)::VARCHAR FROM sniff_csv(` + quoteLit(src.path) + args + `)`
	if err := s.db.QueryRowContext(ctx, q).Scan(&comment, &tsFormat, &colsJSON); err != nil {
		return "", nil, err
	}
	var cols []Column
	if err := json.Unmarshal([]byte(colsJSON), &cols); err != nil {
		return "", nil, fmt.Errorf("sniffed columns: %w", err)
	}
	if err := checkColumnNames(cols, src.display); err != nil {
		return "", nil, err
	}
	return "read_csv(" + quoteLit(src.path) + args + pinnedArgs(comment, tsFormat, cols) + ")", cols, nil
}

// pinnedArgs are the read_csv options that pin what sniff_csv found.
func pinnedArgs(comment, tsFormat dbsql.NullString, cols []Column) string {
	pin := ", auto_detect = false"
	if comment.Valid && comment.String != "" && comment.String != "(empty)" {
		pin += ", comment = " + quoteLit(comment.String)
	}
	if tsFormat.Valid && tsFormat.String != "" {
		pin += ", timestampformat = " + quoteLit(tsFormat.String)
	}
	pairs := make([]string, len(cols))
	for i, c := range cols {
		pairs[i] = quoteLit(c.Name) + ": " + quoteLit(c.Type)
	}
	return pin + ", columns = {" + strings.Join(pairs, ", ") + "}"
}

// checkColumnNames refuses a column name that no query could name.
func checkColumnNames(cols []Column, display string) error {
	for i, c := range cols {
		if strings.ContainsRune(c.Name, 0) {
			// DuckDB's SQL parser ends a quoted name at a NUL byte, so no query could name the column.
			return fmt.Errorf("%w: %s: column %d's name %q contains a NUL byte; remove it from the header and load again",
				ErrInvalid, display, i+1, c.Name)
		}
	}
	return nil
}
