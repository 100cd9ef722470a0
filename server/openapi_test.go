package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mrswarm/mrswarm/internal/version"
)

// openAPI checks real answers of the gateway against the document it serves
// at /openapi.json: the answer's media type must be one the operation
// produces, and its JSON (each line of an NDJSON stream) must validate against
// the operation's response schema, in which every object is closed
// (additionalProperties: false), so a field the document does not name fails.
// Message fields (a $ref, or a Timestamp's date-time string) may be null: the
// gateway emits unset fields, and Swagger 2.0 cannot say "or null".
type openAPI struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	n        int
}

func loadOpenAPI(t *testing.T, ts *testServer) *openAPI {
	t.Helper()
	code, b := ts.do(t, "GET", "/openapi.json", nil, "")
	if code != http.StatusOK {
		t.Fatalf("/openapi.json = %d %s", code, b)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("/openapi.json: %v", err)
	}
	doc := v.(map[string]any)
	closeObjects(doc["definitions"])
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4) // Swagger 2.0 schemas are a subset of draft 4
	return &openAPI{doc: doc, compiler: c}
}

// closeObjects sets additionalProperties: false on every object schema with
// properties that does not say otherwise, and lets message fields be null.
func closeObjects(v any) {
	switch v := v.(type) {
	case map[string]any:
		if props, ok := v["properties"].(map[string]any); ok && v["type"] == "object" {
			if v["additionalProperties"] == nil {
				v["additionalProperties"] = false
			}
			for name, p := range props {
				if p, ok := p.(map[string]any); ok && (p["$ref"] != nil || p["format"] == "date-time") {
					props[name] = map[string]any{"anyOf": []any{p, map[string]any{"type": "null"}}}
				}
			}
		}
		for _, x := range v {
			closeObjects(x)
		}
	case []any:
		for _, x := range v {
			closeObjects(x)
		}
	}
}

// operation finds the one path template and method of the document that
// serve method and path (without query).
func (o *openAPI) operation(t *testing.T, method, path string) map[string]any {
	t.Helper()
	var found []map[string]any
	for tmpl, ops := range o.doc["paths"].(map[string]any) {
		re := "^" + regexp.MustCompile(`\\\{[a-z_]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/:]+`) + "$"
		if op, ok := ops.(map[string]any)[strings.ToLower(method)]; ok && regexp.MustCompile(re).MatchString(path) {
			found = append(found, op.(map[string]any))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s %s: %d operations of the OpenAPI document serve it, want 1", method, path, len(found))
	}
	return found[0]
}

// schema compiles the operation's response schema for HTTP status code.
func (o *openAPI) schema(t *testing.T, op map[string]any, code int) *jsonschema.Schema {
	t.Helper()
	resps := op["responses"].(map[string]any)
	resp, ok := resps[fmt.Sprint(code)].(map[string]any)
	if !ok {
		resp = resps["default"].(map[string]any)
	}
	s := map[string]any{"definitions": o.doc["definitions"]}
	for k, v := range resp["schema"].(map[string]any) {
		s[k] = v
	}
	o.n++
	url := fmt.Sprintf("response%d.json", o.n)
	if err := o.compiler.AddResource(url, s); err != nil {
		t.Fatal(err)
	}
	sch, err := o.compiler.Compile(url)
	if err != nil {
		t.Fatalf("compile the response schema of %v: %v", op["operationId"], err)
	}
	return sch
}

// check sends a request and validates the answer; it returns the body.
func (o *openAPI) check(t *testing.T, ts *testServer, method, path, body string, wantCode int) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://mrswarm"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantCode {
		t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, wantCode)
	}
	op := o.operation(t, method, strings.SplitN(path, "?", 2)[0])
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	produces := o.produces(op)
	if !slices.Contains(produces, mt) {
		t.Errorf("%s %s answered %s; the document says it produces %v", method, path, mt, produces)
	}
	if mt == "text/csv" || mt == "text/html" || mt == "image/svg+xml" { // documents, not JSON
		return b
	}
	sch := o.schema(t, op, resp.StatusCode)
	docs := [][]byte{b}
	if mt == "application/x-ndjson" {
		docs = bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	}
	for _, d := range docs {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(d))
		if err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, d)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s %s: the answer does not match the OpenAPI document (%v): %v\n%s", method, path, op["operationId"], err, d)
		}
	}
	return b
}

func (o *openAPI) produces(op map[string]any) []string {
	list, ok := op["produces"].([]any)
	if !ok {
		list = o.doc["produces"].([]any)
	}
	var out []string
	for _, p := range list {
		out = append(out, p.(string))
	}
	return out
}

// TestOpenAPIMatchesResponses runs the main calls over REST, a whole pipeline
// run included, and validates every answer against /openapi.json.
func TestOpenAPIMatchesResponses(t *testing.T) {
	ts := startWithSales(t, &scriptLLM{})
	o := loadOpenAPI(t, ts)
	info := o.doc["info"].(map[string]any)
	if b := version.Get(); info["title"] != "mrswarm" || info["version"] != b.Version || info["x-revision"] != b.Revision {
		t.Errorf("info = %v, want title mrswarm, version %q, x-revision %q", info, b.Version, b.Revision)
	}
	code, health := ts.doJSON(t, "GET", "/healthz", nil)
	if b := version.Get(); code != http.StatusOK || health["status"] != "SERVING" || health["version"] != b.Version ||
		health["revision"] != b.Revision || health["go"] != b.Go {
		t.Errorf("/healthz = %d %v, want SERVING and the build %+v", code, health, b)
	}

	o.check(t, ts, "POST", "/v1/datasets", `{"name":"again","path":"beverage_sales.csv"}`, 200)
	o.check(t, ts, "GET", "/v1/datasets", "", 200)
	o.check(t, ts, "GET", "/v1/datasets/sales", "", 200)
	o.check(t, ts, "POST", "/v1/datasets/again/roles", `{"roles":{"revenue":"total_revenue"}}`, 200)
	o.check(t, ts, "POST", "/v1/datasets/small:upload?format=csv", "brand,units\nA,1\nB,2\n", 200)
	o.check(t, ts, "DELETE", "/v1/datasets/small", "", 200)
	o.check(t, ts, "GET", "/v1/datasets/sales/tools", "", 200)

	var sql struct{ Result struct{ Handle string } }
	if err := json.Unmarshal(o.check(t, ts, "POST", "/v1/sql", `{"sql":"`+brandSQL+`"}`, 200), &sql); err != nil {
		t.Fatal(err)
	}
	h := sql.Result.Handle
	o.check(t, ts, "POST", "/v1/datasets/sales/tools/kpi_summary", `{"args":{}}`, 200)
	o.check(t, ts, "GET", "/v1/results", "", 200)
	o.check(t, ts, "GET", "/v1/results/"+h, "", 200)
	o.check(t, ts, "GET", "/v1/results/"+h+"/rows?limit=3", "", 200)
	o.check(t, ts, "GET", "/v1/results/"+h+"/rows?limit=3&format=csv", "", 200)
	o.check(t, ts, "GET", "/v1/results/"+h+"/stream?chunk_rows=4", "", 200)
	o.check(t, ts, "GET", "/v1/results/"+h+"/stream?format=csv", "", 200)
	o.check(t, ts, "GET", "/v1/results/res_00000000", "", 404)
	o.check(t, ts, "GET", "/v1/results/"+h+"/chart.svg", "", 200)
	o.check(t, ts, "GET", "/v1/results/"+h+"/chart.svg?kind=forecast", "", 400)

	o.check(t, ts, "GET", "/v1/agents", "", 200)
	o.check(t, ts, "GET", "/v1/presets", "", 200)
	o.check(t, ts, "POST", "/v1/pipelines:validate", `{"dataset":"sales","preset":"quick_insights"}`, 200)
	o.check(t, ts, "POST", "/v1/pipelines:validate", `{"dataset":"sales","preset":"nope"}`, 404)

	stream := o.check(t, ts, "POST", "/v1/runs:stream", `{"dataset":"sales","preset":"quick_insights"}`, 200)
	lines := ndjsonLines(t, stream)
	id := lines[0]["result"].(map[string]any)["run_id"].(string)
	o.check(t, ts, "GET", "/v1/runs", "", 200)
	o.check(t, ts, "GET", "/v1/runs/"+id, "", 200)
	o.check(t, ts, "GET", "/v1/runs/"+id+"/events?after_seq=2", "", 200)
	o.check(t, ts, "GET", "/v1/runs/"+id+"/report", "", 200)
	o.check(t, ts, "GET", "/v1/runs/"+id+"/report?format=html", "", 200)
	o.check(t, ts, "POST", "/v1/runs/"+id+":cancel", "{}", 200)

	var started struct {
		RunID string `json:"run_id"`
	}
	if err := json.Unmarshal(o.check(t, ts, "POST", "/v1/runs", `{"dataset":"sales","preset":"quick_insights"}`, 200), &started); err != nil {
		t.Fatal(err)
	}
	o.check(t, ts, "GET", "/v1/runs/"+started.RunID+"/events", "", 200) // to its end
	o.check(t, ts, "DELETE", "/v1/results/"+h, "", 200)
}

// TestOpenAPICheckCatchesAnUndocumentedField proves the check fails on a field
// the document does not name, e.g. camelCase where the schema says snake_case.
func TestOpenAPICheckCatchesAnUndocumentedField(t *testing.T) {
	ts := startServer(t, testConfig(t))
	o := loadOpenAPI(t, ts)
	sch := o.schema(t, o.operation(t, "GET", "/v1/results/res_00000000"), 200)
	for doc, wantOK := range map[string]bool{
		`{"handle":"res_00000000","row_count":"3"}`: true,
		`{"handle":"res_00000000","rowCount":"3"}`:  false,
		`{"handle":"res_00000000","row_count":3}`:   false, // 64-bit integers are strings
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); (err == nil) != wantOK {
			t.Errorf("%s: validation error %v, want ok=%v", doc, err, wantOK)
		}
	}
}
