package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/server/servertest"
)

// TestCLILoadExplains loads a European export by path and by upload: the output
// names each role with its confidence and reason, every conversion, and the
// warnings with how to override.
func TestCLILoadExplains(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	body := "Datum;Marke;Umsatz;Kosten\n01/02/2024;Aqua;\"1.234,50\";842,4\n03/04/2024;Fizz;99,95;50,1\n"
	path := filepath.Join(srv.DataRoot, "export.csv")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustCLI(t, srv.GRPCAddr, "load", "eu", "export.csv")
	for _, want := range []string{"roles (override with --role role=column)", `revenue  Umsatz`, `name "Umsatz" means revenue`,
		"the only date column", "conversions:", "Umsatz: VARCHAR -> DOUBLE", `decimal ","`, "Datum: VARCHAR -> DATE",
		"warnings:", "date_order=mdy"} {
		if !strings.Contains(out, want) {
			t.Errorf("load output lacks %q:\n%s", want, out)
		}
	}
	out = mustCLI(t, srv.GRPCAddr, "upload", "eu2", path, "--date-order", "mdy")
	if strings.Contains(out, "warnings:") || !strings.Contains(out, "mm/dd/yyyy") {
		t.Errorf("upload with --date-order mdy:\n%s", out)
	}
}
