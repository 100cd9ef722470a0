package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const generated = `{
  "swagger": "2.0",
  "paths": {
    "/v1/a": {
      "get": {}
    }
  },
  "definitions": {}
}
`

func TestMerge(t *testing.T) {
	out, err := merge([]byte(generated), []byte(`{"/v1/b:upload": {"post": {"operationId": "B"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]map[string]string
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Paths["/v1/b:upload"]["post"]["operationId"] != "B" || doc.Paths["/v1/a"] == nil {
		t.Errorf("merged paths = %v", doc.Paths)
	}
	if !strings.HasSuffix(string(out), `    "/v1/a": {
      "get": {}
    }
  },
  "definitions": {}
}
`) {
		t.Errorf("the generated part changed:\n%s", out)
	}
	again, err := merge([]byte(generated), []byte(`{"/v1/b:upload": {"post": {"operationId": "B"}}}`))
	if err != nil || string(again) != string(out) {
		t.Errorf("a second merge differs (%v)", err)
	}
}

func TestMergeRefuses(t *testing.T) {
	tests := []struct{ name, doc, extra, want string }{
		{"path already there", generated, `{"/v1/a": {}}`, "already there"},
		{"extra is not an object", generated, `[1]`, "extra paths"},
		{"no paths", `{"swagger": "2.0"}`, `{}`, `no single "paths"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := merge([]byte(tt.doc), []byte(tt.extra)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("merge: %v, want an error with %q", err, tt.want)
			}
		})
	}
}
