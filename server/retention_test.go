package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// A user pins a handle (REST :pin, gRPC PinResult) and retention keeps it
// under a tight byte budget while unpinned ones go; unpinned again, it is
// evicted like any other, and a fetch says it expired.
func TestPinnedResultSurvivesEviction(t *testing.T) {
	cfg := testConfig(t)
	cfg.ResultMaxBytes = 64 << 10
	ts := startBeverage(t, cfg)
	ctx := t.Context()
	store := func(i int) string { // ~15 KB a result: four fit the budget
		t.Helper()
		res, err := ts.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: fmt.Sprintf(
			"SELECT sale_date, brand, region, %d AS i FROM beverage_sales LIMIT 500", i)})
		if err != nil {
			t.Fatalf("RunSQL %d: %v", i, err)
		}
		return res.GetResult().GetHandle()
	}
	expired := func(h string) bool {
		_, err := ts.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{Handle: h})
		return status.Code(err) == codes.NotFound && strings.Contains(err.Error(), "expired")
	}
	pinned, unpinned := store(0), store(1)
	if code, body := ts.doJSON(t, "POST", "/v1/results/"+pinned+":pin", map[string]any{}); code != http.StatusOK {
		t.Fatalf("POST :pin: %d %v", code, body)
	}
	for i := range 10 {
		store(2 + i)
	}
	if !expired(unpinned) {
		t.Errorf("the unpinned result was not evicted under a 64 KiB budget")
	}
	sum, err := ts.results.GetResult(ctx, &mrswarmv1.GetResultRequest{Handle: pinned})
	if err != nil || !sum.GetPinned() {
		t.Fatalf("the pinned result: %v (pinned %v), want it kept and marked pinned", err, sum.GetPinned())
	}

	if _, err := ts.results.UnpinResult(ctx, &mrswarmv1.UnpinResultRequest{Handle: pinned}); err != nil {
		t.Fatalf("UnpinResult: %v", err)
	}
	for i := range 10 {
		store(20 + i)
	}
	if !expired(pinned) {
		t.Errorf("the unpinned-again result was kept, want it evicted")
	}

	code, body := ts.doJSON(t, "POST", "/v1/results/"+unpinned+":pin", map[string]any{})
	if code != http.StatusNotFound || !strings.Contains(fmt.Sprint(body["message"]), "expired") {
		t.Errorf("pin an evicted handle: %d %v, want 404 saying it expired", code, body)
	}
	if _, err := ts.results.PinResult(ctx, &mrswarmv1.PinResultRequest{Handle: "res_00000000"}); status.Code(err) != codes.NotFound {
		t.Errorf("pin an unknown handle: %v, want NotFound", err)
	}
	if _, err := ts.results.PinResult(ctx, &mrswarmv1.PinResultRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("pin without a handle: %v, want InvalidArgument", err)
	}
}

// Pins go through the access checks: a read-only token cannot pin or unpin
// (403 over REST), and another tenant's handle is NotFound.
func TestPinAccess(t *testing.T) {
	ts := tenantServer(t)
	handle, _ := acmeData(t, ts)
	ctx := t.Context()
	ro := mrswarmv1.NewResultServiceClient(ts.connAs(t, acmeRO))
	if _, err := ro.PinResult(ctx, &mrswarmv1.PinResultRequest{Handle: handle}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("read-only PinResult: %v, want PermissionDenied", err)
	}
	if _, err := ro.UnpinResult(ctx, &mrswarmv1.UnpinResultRequest{Handle: handle}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("read-only UnpinResult: %v, want PermissionDenied", err)
	}
	if code := httpStatus(t, ts.httpAs(acmeRO), "POST", "/v1/results/"+handle+":pin", []byte("{}")); code != http.StatusForbidden {
		t.Errorf("read-only POST :pin = %d, want 403", code)
	}
	beta := mrswarmv1.NewResultServiceClient(ts.connAs(t, betaToken))
	if _, err := beta.PinResult(ctx, &mrswarmv1.PinResultRequest{Handle: handle}); status.Code(err) != codes.NotFound {
		t.Errorf("another tenant pins acme's handle: %v, want NotFound", err)
	}
	acme := mrswarmv1.NewResultServiceClient(ts.connAs(t, acmeToken))
	if _, err := acme.PinResult(ctx, &mrswarmv1.PinResultRequest{Handle: handle}); err != nil {
		t.Fatalf("the owner pins: %v", err)
	}
	if sum, err := acme.GetResult(ctx, &mrswarmv1.GetResultRequest{Handle: handle}); err != nil || !sum.GetPinned() {
		t.Errorf("the owner's handle after PinResult: pinned %v, %v", sum.GetPinned(), err)
	}
}
