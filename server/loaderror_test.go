package server

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// Defect 9: an error on a 10 MB field cut the reason off. An upload with one
// 10 MB field answers 400 naming the line, the column, the limit and a
// clipped preview of the value with its size.
func TestLoadErrorNamesHugeField(t *testing.T) {
	ts := startServer(t, testConfig(t))
	var b strings.Builder
	b.WriteString("region,units,note\n")
	for range 1000 {
		b.WriteString("EU,1,ok\n")
	}
	b.WriteString("US," + strings.Repeat("7", 10<<20) + ",big\n")
	code, body := ts.do(t, "POST", "/v1/datasets/big:upload?format=csv", strings.NewReader(b.String()), "text/csv")
	if code != http.StatusBadRequest {
		t.Fatalf("upload: %d %.300s, want 400", code, body)
	}
	for _, want := range []string{"line 1002", `column 2 (\"units\")`, "limit of 2000000 bytes a line", "… (10485760 bytes)"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the error lacks %q: %.600s", want, body)
		}
	}
	if len(body) > 2000 {
		t.Errorf("the error has %d bytes, want it short", len(body))
	}
}
