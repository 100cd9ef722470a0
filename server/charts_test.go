package server

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// svgTexts parses an SVG document and returns the contents of its text elements.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var out []string
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				out = append(out, strings.TrimSpace(string(tok)))
			}
		case xml.EndElement:
			inText = false
		}
	}
}

func TestResultChartOverREST(t *testing.T) {
	cfg := testConfig(t)
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	ctx := t.Context()
	if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	call := func(tool string, args map[string]any) string {
		s, err := structpb.NewStruct(args)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ts.tools.CallTool(ctx, &mrswarmv1.CallToolRequest{Dataset: "sales", Tool: tool, Args: s})
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		return res.GetResult().GetHandle()
	}
	share, forecast := call("market_share", map[string]any{"dimension": "brand"}), call("sales_forecast", map[string]any{"periods": 6})
	text, err := ts.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: "SELECT 'a' AS x, 'b' AS y"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("bars of market shares", func(t *testing.T) {
		code, hdr, body := ts.get(t, "/v1/results/"+share+"/chart.svg")
		if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "image/svg+xml") {
			t.Fatalf("= %d %q %s, want 200 image/svg+xml", code, hdr.Get("Content-Type"), body)
		}
		if hdr.Get("X-Chart-Kind") != "bar" || hdr.Get("X-Chart-Kinds") != "bar" {
			t.Errorf("X-Chart-Kind %q, X-Chart-Kinds %q; want bar, bar", hdr.Get("X-Chart-Kind"), hdr.Get("X-Chart-Kinds"))
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy = %q, want default-src 'none'", csp)
		}
		if texts := svgTexts(t, body); !slices.Contains(texts, "Tropicana") {
			t.Errorf("the chart's texts %q lack the leading brand Tropicana", texts)
		}
	})
	t.Run("forecast kinds", func(t *testing.T) {
		code, hdr, body := ts.get(t, "/v1/results/"+forecast+"/chart.svg?kind=line")
		if code != http.StatusOK || hdr.Get("X-Chart-Kind") != "line" || hdr.Get("X-Chart-Kinds") != "forecast,line" {
			t.Fatalf("= %d kind %q kinds %q %.200s", code, hdr.Get("X-Chart-Kind"), hdr.Get("X-Chart-Kinds"), body)
		}
		svgTexts(t, body)
	})
	errs := []struct {
		name, path string
		code       int
		grpc       codes.Code
		wantText   string
	}{
		{"kind that does not fit", "/v1/results/" + share + "/chart.svg?kind=forecast", 400, codes.InvalidArgument, "kinds that fit: bar"},
		{"unknown kind", "/v1/results/" + share + "/chart.svg?kind=pie", 400, codes.InvalidArgument, "kinds that fit: bar"},
		{"no chart fits", "/v1/results/" + text.GetResult().GetHandle() + "/chart.svg", 400, codes.FailedPrecondition, "no text or date column with a numeric column"},
		{"unknown handle", "/v1/results/res_00000000/chart.svg", 404, codes.NotFound, "res_00000000"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := ts.get(t, tc.path)
			var st struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(body, &st); err != nil {
				t.Fatalf("= %d %q, not a JSON status", code, body)
			}
			if code != tc.code || codes.Code(st.Code) != tc.grpc || !strings.Contains(st.Message, tc.wantText) {
				t.Errorf("= %d %s, want %d (%v) with %q", code, body, tc.code, tc.grpc, tc.wantText)
			}
		})
	}
	t.Run("gRPC", func(t *testing.T) {
		c, err := ts.results.GetResultChart(ctx, &mrswarmv1.GetResultChartRequest{Handle: forecast})
		if err != nil || c.GetKind() != "forecast" || !strings.Contains(c.GetSvg(), "<svg") {
			t.Fatalf("GetResultChart = %v %.100q, %v", c.GetKind(), c.GetSvg(), err)
		}
		_, err = ts.results.GetResultChart(ctx, &mrswarmv1.GetResultChartRequest{})
		wantCode(t, err, codes.InvalidArgument)
	})
}
