// Command openapimerge adds hand-written paths to the OpenAPI document that
// protoc-gen-openapiv2 generates: routes the gateway serves beside the
// generated ones (POST /v1/datasets/{name}:upload). `make generate` runs it
// after buf generate:
//
//	go run ./internal/openapimerge DOC.swagger.json PATHS.json
//
// PATHS.json is an object of paths; each goes at the start of the document's
// "paths", written in the generator's style, and the rest of the file is left
// byte for byte, so generating twice gives the same file.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
)

// pathsKey opens the generated document's paths object.
const pathsKey = "\n  \"paths\": {\n"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: openapimerge DOC.swagger.json PATHS.json")
		os.Exit(2)
	}
	if err := mergeFiles(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "openapimerge:", err)
		os.Exit(1)
	}
}

func mergeFiles(docPath, pathsPath string) error {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		return err
	}
	extra, err := os.ReadFile(pathsPath)
	if err != nil {
		return err
	}
	out, err := merge(doc, extra)
	if err != nil {
		return fmt.Errorf("%s: %w", docPath, err)
	}
	return os.WriteFile(docPath, out, 0o644)
}

// merge returns doc with the paths of extra inserted into its "paths" object.
func merge(doc, extra []byte) ([]byte, error) {
	var paths map[string]json.RawMessage
	if err := json.Unmarshal(extra, &paths); err != nil {
		return nil, fmt.Errorf("extra paths: %w", err)
	}
	var have struct{ Paths map[string]json.RawMessage }
	if err := json.Unmarshal(doc, &have); err != nil {
		return nil, err
	}
	if bytes.Count(doc, []byte(pathsKey)) != 1 {
		return nil, errors.New(`no single "paths" object at the top level`)
	}
	var ins bytes.Buffer
	for _, p := range sortedKeys(paths) {
		if have.Paths[p] != nil {
			return nil, fmt.Errorf("path %s is already there", p)
		}
		key, _ := json.Marshal(p)
		var v bytes.Buffer
		if err := json.Indent(&v, paths[p], "    ", "  "); err != nil {
			return nil, fmt.Errorf("path %s: %w", p, err)
		}
		fmt.Fprintf(&ins, "    %s: %s,\n", key, v.Bytes())
	}
	i := bytes.Index(doc, []byte(pathsKey)) + len(pathsKey)
	out := append(append(append([]byte{}, doc[:i]...), ins.Bytes()...), doc[i:]...)
	if !json.Valid(out) {
		return nil, errors.New("the merged document is not valid JSON")
	}
	return out, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
