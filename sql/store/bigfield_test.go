package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// An error on a 10 MB field used to be cut off inside the echoed value, so
// the reason was lost. The message names the line, the column and the limit,
// with a clipped preview of the value and its size.
func TestLoadErrorOnHugeField(t *testing.T) {
	s := newStore(t, Options{})
	var b strings.Builder
	b.WriteString("id,amount,note\n")
	for range 100 {
		b.WriteString("1,2.5,ok\n")
	}
	b.WriteString("2," + strings.Repeat("9", 10<<20) + "x,big\n3,4.5,ok\n")
	writeFile(t, s.DataRoot(), "big.csv", b.String())
	_, err := s.LoadFile(t.Context(), "big", "big.csv", FormatCSV, nil)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("load: %v, want ErrInvalid", err)
	}
	msg := err.Error()
	for _, want := range []string{"line 102", `column 2 ("amount")`, "over the CSV reader's limit of 2000000 bytes",
		`"9999999999`, "… (10485761 bytes)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %.500s", want, msg)
		}
	}
	if len(msg) > 1000 {
		t.Errorf("message has %d bytes, want a short one", len(msg))
	}
}

// cleanMsg clips an echoed line on its own and keeps the lines after it.
func TestCleanMsgClipsLongLines(t *testing.T) {
	msg := "Invalid Input Error: CSV Error on Line: 5\nOriginal Line: " + strings.Repeat("é", 1<<20) +
		"\nValue could not be converted to DOUBLE\n\nPossible Solution: x"
	got := cleanMsg(msg)
	if !strings.Contains(got, "Line: 5; Original Line: éé") || !strings.Contains(got, "… (2097167 bytes); Value could not be converted to DOUBLE") {
		t.Errorf("cleanMsg = %.400q", got)
	}
	if len(got) > 400 || strings.Contains(got, "Possible") {
		t.Errorf("cleanMsg kept %d bytes: %.400q", len(got), got)
	}
}

// A long bad cell in a typed column is reported by row with a clipped
// preview and its size; the column keeps its type.
func TestLongBadCellIsClipped(t *testing.T) {
	s := newStore(t, Options{})
	var b strings.Builder
	b.WriteString("id,amount\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "%d,%d.5\n", i, i)
	}
	b.WriteString("3000," + strings.Repeat("z", 1_500_000) + "\n3001,7.5\n")
	writeFile(t, s.DataRoot(), "late.csv", b.String())
	res, err := s.LoadFile(t.Context(), "late", "late.csv", FormatCSV, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Dataset.Columns[1]; c.Type != "DOUBLE" || c.Conversion == nil {
		t.Fatalf("amount: %+v, want DOUBLE with its conversion reported", c)
	}
	w := res.Dataset.Columns[1].Conversion.Warning
	if !strings.Contains(w, `row 3001 "zzzz`) || !strings.Contains(w, "… (1500000 bytes)") || len(w) > 300 {
		t.Errorf("warning: %.400q, want the row and a clipped preview with the size", w)
	}
}
