package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
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
