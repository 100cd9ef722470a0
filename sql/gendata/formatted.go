package gendata

import (
	"bufio"
	"bytes"
	"io"
)

// GenerateFormatted writes the same rows as [Generate] with the same seed, but
// with money written the way spreadsheets export it: prices, revenue, costs and
// profit as "$4,968.25" (quoted, with thousands separators) and the margin as
// "36.42%". Loading it must give the same numbers as the plain file.
func GenerateFormatted(w io.Writer, rows int, seed int64) error {
	var plain bytes.Buffer
	if err := Generate(&plain, rows, seed); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	sc := bufio.NewScanner(&plain)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	first := true
	var out []byte
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			first = false
			out = append(append(out[:0], line...), '\n')
		} else {
			out = formatLine(out[:0], line)
		}
		if _, err := bw.Write(out); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

// formatLine rewrites one plain row: fields 10–14 as money, 15 as a percentage.
func formatLine(b, line []byte) []byte {
	for i, f := range bytes.Split(line, []byte{','}) {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case i >= 10 && i <= 14:
			b = append(b, `"$`...)
			b = appendGrouped(b, f)
			b = append(b, '"')
		case i == 15:
			b = append(append(b, f...), '%')
		default:
			b = append(b, f...)
		}
	}
	return append(b, '\n')
}

// appendGrouped writes a plain decimal number with "," between thousands.
func appendGrouped(b, num []byte) []byte {
	if len(num) > 0 && num[0] == '-' {
		b, num = append(b, '-'), num[1:]
	}
	whole, frac, _ := bytes.Cut(num, []byte{'.'})
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, d)
	}
	if len(frac) > 0 {
		b = append(append(b, '.'), frac...)
	}
	return b
}
