package mrswarm

import (
	"context"
	"encoding/json"
	"fmt"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"google.golang.org/protobuf/types/known/structpb"
)

// Tools lists the analysis tools with their argument schemas for dataset.
func (c *Client) Tools(ctx context.Context, dataset string) ([]*mrswarmv1.Tool, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	resp, err := c.tools.ListTools(ctx, &mrswarmv1.ListToolsRequest{Dataset: dataset})
	return resp.GetTools(), err
}

// CallTool runs tool on dataset and returns the summary of its stored result.
// args is anything that encodes to a JSON object (a map, a struct,
// json.RawMessage, a *structpb.Struct) or nil for no arguments.
func (c *Client) CallTool(ctx context.Context, dataset, tool string, args any) (*mrswarmv1.CallToolResponse, error) {
	s, err := toStruct(args)
	if err != nil {
		return nil, fmt.Errorf("call tool %q: %w", tool, err)
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.tools.CallTool(ctx, &mrswarmv1.CallToolRequest{Dataset: dataset, Tool: tool, Args: s})
}

// SQL runs one read-only SELECT or WITH statement and returns the summary of
// its stored result.
func (c *Client) SQL(ctx context.Context, query string) (*mrswarmv1.RunSQLResponse, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.results.RunSQL(ctx, &mrswarmv1.RunSQLRequest{Sql: query})
}

// Result returns the summary of a stored result.
func (c *Client) Result(ctx context.Context, handle string) (*mrswarmv1.ResultSummary, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.results.GetResult(ctx, &mrswarmv1.GetResultRequest{Handle: handle})
}

// Pin keeps a result through the server's result retention: its byte and age
// budget never evict a pinned handle.
func (c *Client) Pin(ctx context.Context, handle string) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.results.PinResult(ctx, &mrswarmv1.PinResultRequest{Handle: handle})
	return err
}

// Unpin makes a pinned result evictable again.
func (c *Client) Unpin(ctx context.Context, handle string) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.results.UnpinResult(ctx, &mrswarmv1.UnpinResultRequest{Handle: handle})
	return err
}

// toStruct encodes v as a protobuf Struct through JSON.
func toStruct(v any) (*structpb.Struct, error) {
	switch a := v.(type) {
	case nil:
		return nil, nil
	case *structpb.Struct:
		return a, nil
	case map[string]any:
		s, err := structpb.NewStruct(a)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrArgs, err)
		}
		return s, nil
	}
	var raw []byte
	switch a := v.(type) {
	case json.RawMessage:
		raw = a
	case []byte:
		raw = a
	case string:
		raw = []byte(a)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrArgs, err)
		}
		raw = b
	}
	s := &structpb.Struct{}
	if err := s.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrArgs, err)
	}
	return s, nil
}
