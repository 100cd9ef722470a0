package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestUploadReportsConversions uploads a US export over REST with a read option
// and checks the response explains the roles and lists the conversions.
func TestUploadReportsConversions(t *testing.T) {
	ts := startWithSales(t, &scriptLLM{})
	body := "Order Date,Brand,Revenue\n05/06/2024,Zest,oops\n" +
		strings.Repeat("01/02/2024,Aqua,\"$4,968.25\"\n03/04/2024,Fizz,\"$1,187.00\"\n", 30)
	code, b := ts.do(t, "POST", "/v1/datasets/us:upload?filename=us.csv&date_order=dmy", bytes.NewReader([]byte(body)), "")
	if code != http.StatusOK {
		t.Fatalf("upload = %d %s", code, b)
	}
	var resp struct {
		Dataset struct {
			RoleDetails []struct{ Role, Column, Reason string } `json:"role_details"`
			Conversions []struct {
				Column     string
				ToType     string `json:"to_type"`
				Unit       string
				Failed     string   // int64 is a JSON string
				FailedRows []string `json:"failed_rows"`
			}
			Warnings []string
		}
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	d := resp.Dataset
	if len(d.RoleDetails) != 3 || d.RoleDetails[0].Role != "date" || d.RoleDetails[0].Reason == "" {
		t.Errorf("role details %+v", d.RoleDetails)
	}
	if len(d.Conversions) != 2 || d.Conversions[1].Column != "Revenue" || d.Conversions[1].Unit != "$" ||
		d.Conversions[1].Failed != "1" || len(d.Conversions[1].FailedRows) != 1 || d.Conversions[1].FailedRows[0] != "1" {
		t.Errorf("conversions %+v", d.Conversions)
	}
	if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], `row 1 "oops"`) {
		t.Errorf("warnings %q (dates were ordered by the option: no warning about them)", d.Warnings)
	}
	code, b = ts.do(t, "POST", "/v1/datasets/us:upload?filename=us.csv&decimal=x", bytes.NewReader([]byte(body)), "")
	if code != http.StatusBadRequest || !bytes.Contains(b, []byte("decimal")) {
		t.Errorf("bad decimal option = %d %s, want 400", code, b)
	}
}
