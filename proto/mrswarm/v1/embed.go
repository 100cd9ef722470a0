package mrswarmv1

import _ "embed"

// OpenAPI is the OpenAPI v2 document of the REST gateway, generated beside the
// protos by protoc-gen-openapiv2.
//
//go:embed mrswarm.swagger.json
var OpenAPI []byte
