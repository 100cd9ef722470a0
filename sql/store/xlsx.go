package store

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// xlsxUnzipLimit bounds the uncompressed size of an Excel file (a zip archive).
const xlsxUnzipLimit = 2 << 30

// xlsxToCSV writes the first sheet (or the one named by the sheet option) of an
// Excel file to a CSV file in the staging folder and returns its path. Cells
// are written raw: numbers as numbers, and columns whose first data cell has a
// date format as ISO dates; everything else is cleaned like any CSV.
func (s *Store) xlsxToCSV(ctx context.Context, src source) (string, error) {
	f, err := excelize.OpenFile(src.path, excelize.Options{RawCellValue: true, UnzipSizeLimit: xlsxUnzipLimit})
	if err != nil {
		return "", fmt.Errorf("%w: %s: not a readable .xlsx file: %v", ErrInvalid, src.display, err)
	}
	defer f.Close()
	sheet, err := pickSheet(f, src.opts.sheet)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrInvalid, src.display, err)
	}
	out, err := os.CreateTemp(s.staging, "xlsx-*.csv")
	if err != nil {
		return "", err
	}
	err = writeSheet(ctx, f, sheet, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf("%s, sheet %q: %w", src.display, sheet, err)
	}
	return out.Name(), nil
}

// pickSheet returns the named sheet, or the first one when name is empty.
func pickSheet(f *excelize.File, name string) (string, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return "", fmt.Errorf("the workbook has no sheets")
	}
	if name == "" {
		return sheets[0], nil
	}
	if !slices.Contains(sheets, name) {
		return "", fmt.Errorf("no sheet %q (sheets: %q)", name, sheets)
	}
	return name, nil
}

// writeSheet streams a sheet's rows as CSV; short rows are padded to the header's width.
func writeSheet(ctx context.Context, f *excelize.File, sheet string, out *os.File) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return err
	}
	defer rows.Close()
	bw := bufio.NewWriterSize(out, 1<<20)
	w := csv.NewWriter(bw)
	width, n := 0, 0
	var dateCols []bool
	for rows.Next() {
		if n%10000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return err
		}
		n++
		if n == 1 {
			width = len(rec)
		} else if n == 2 {
			dateCols = dateColumns(f, sheet, width)
		}
		rec = fit(rec, width)
		isoDates(rec, dateCols)
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// fit pads or cuts a row to width cells (cells past the header are dropped only when empty).
func fit(rec []string, width int) []string {
	for len(rec) > width && rec[len(rec)-1] == "" {
		rec = rec[:len(rec)-1]
	}
	for len(rec) < width {
		rec = append(rec, "")
	}
	return rec
}

// dateColumns reports which columns have a date number format in row 2.
func dateColumns(f *excelize.File, sheet string, width int) []bool {
	out := make([]bool, width)
	for i := range out {
		cell, err := excelize.CoordinatesToCellName(i+1, 2)
		if err != nil {
			continue
		}
		id, err := f.GetCellStyle(sheet, cell)
		if err != nil || id == 0 {
			continue
		}
		st, err := f.GetStyle(id)
		if err != nil {
			continue
		}
		out[i] = st.NumFmt >= 14 && st.NumFmt <= 22 || st.NumFmt >= 45 && st.NumFmt <= 47 ||
			st.CustomNumFmt != nil && customDate(*st.CustomNumFmt)
	}
	return out
}

// customDate reports whether a custom number format shows a date (has d, m and y).
func customDate(f string) bool {
	var d, m, y bool
	for _, c := range f {
		switch c {
		case 'd', 'D':
			d = true
		case 'm', 'M':
			m = true
		case 'y', 'Y':
			y = true
		}
	}
	return d && m && y || m && y
}

// isoDates rewrites the serial day numbers of date columns as ISO dates (with a
// time when the number has a fraction).
func isoDates(rec []string, dateCols []bool) {
	for i, v := range rec {
		if i >= len(dateCols) || !dateCols[i] || v == "" {
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		t, err := excelize.ExcelDateToTime(x, false)
		if err != nil {
			continue
		}
		if x == float64(int64(x)) {
			rec[i] = t.Format("2006-01-02")
		} else {
			rec[i] = t.Format("2006-01-02 15:04:05")
		}
	}
}
