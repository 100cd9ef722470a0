package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/sql/tools"
)

func TestTools(t *testing.T) {
	ts := startWithSales(t, &scriptLLM{})
	ctx := t.Context()

	list, err := ts.tools.ListTools(ctx, &mrswarmv1.ListToolsRequest{Dataset: "sales"})
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	if got, want := len(list.GetTools()), len(tools.Specs()); got != want || want == 0 {
		t.Fatalf("ListTools gave %d tools, want all %d", got, want)
	}
	for _, tool := range list.GetTools() {
		if !tool.GetAvailable() && strings.Contains(tool.GetUnavailableReason(), "has no column with role") &&
			slices.ContainsFunc(tool.GetRequiredRoles(), func(r string) bool { return r == "spend" || r == "impressions" }) {
			continue // ad-spend tools on sales data: unavailable with the reason
		}
		if !tool.GetAvailable() || tool.GetArgsSchema().GetFields()["type"].GetStringValue() != "object" {
			t.Errorf("tool %s: available=%v (%s), schema type %v; want available with an object schema",
				tool.GetName(), tool.GetAvailable(), tool.GetUnavailableReason(), tool.GetArgsSchema().GetFields()["type"])
		}
	}
	code, body := ts.doJSON(t, "GET", "/v1/datasets/sales/tools", nil)
	if code != http.StatusOK || len(body["tools"].([]any)) != len(list.GetTools()) {
		t.Errorf("GET tools = %d with %d tools", code, len(body["tools"].([]any)))
	}

	args, _ := structpb.NewStruct(map[string]any{"brands": []any{"Coca-Cola", "Pepsi"}})
	res, err := ts.tools.CallTool(ctx, &mrswarmv1.CallToolRequest{Dataset: "sales", Tool: "brand_performance", Args: args})
	if err != nil {
		t.Fatalf("CallTool: %v", err)
	}
	if r := res.GetResult(); r.GetSource() != "tool:brand_performance" || r.GetRowCount() != 2 {
		t.Errorf("brand_performance for 2 brands: source %q, %d rows; want tool:brand_performance, 2 rows", r.GetSource(), r.GetRowCount())
	}
	code, body = ts.doJSON(t, "POST", "/v1/datasets/sales/tools/kpi_summary", map[string]any{"args": map[string]any{}})
	if code != http.StatusOK || !strings.HasPrefix(body["result"].(map[string]any)["handle"].(string), "res_") {
		t.Errorf("REST kpi_summary = %d %v", code, body)
	}

	bad := []struct {
		name    string
		req     *mrswarmv1.CallToolRequest
		code    codes.Code
		mention string
	}{
		{"unknown dataset", &mrswarmv1.CallToolRequest{Dataset: "nope", Tool: "kpi_summary"}, codes.NotFound, "nope"},
		{"unknown tool", &mrswarmv1.CallToolRequest{Dataset: "sales", Tool: "crystal_ball"}, codes.InvalidArgument, "crystal_ball"},
		{"unknown brand", &mrswarmv1.CallToolRequest{Dataset: "sales", Tool: "brand_performance", Args: mustStruct(t, map[string]any{"brands": []any{"Fanta Zero X"}})}, codes.InvalidArgument, "/brands/0"},
		{"unknown argument", &mrswarmv1.CallToolRequest{Dataset: "sales", Tool: "kpi_summary", Args: mustStruct(t, map[string]any{"colour": "red"})}, codes.InvalidArgument, "colour"},
		{"no tool", &mrswarmv1.CallToolRequest{Dataset: "sales"}, codes.InvalidArgument, "tool is required"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ts.tools.CallTool(context.WithoutCancel(ctx), tt.req)
			wantCode(t, err, tt.code)
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %v does not mention %q", err, tt.mention)
			}
		})
	}
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
