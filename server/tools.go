package server

import (
	"context"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/mrswarm/mrswarm/internal/metrics"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// toolServer implements mrswarmv1.ToolServiceServer over sql/tools.
type toolServer struct {
	mrswarmv1.UnimplementedToolServiceServer
	tools *tools.Catalog
	m     *metrics.Metrics // tool latency of CallTool
}

func newToolServer(c *tools.Catalog, m *metrics.Metrics) mrswarmv1.ToolServiceServer {
	return &toolServer{tools: c, m: m}
}

func (s *toolServer) ListTools(ctx context.Context, req *mrswarmv1.ListToolsRequest) (*mrswarmv1.ListToolsResponse, error) {
	if err := requireFields("dataset", req.GetDataset()); err != nil {
		return nil, err
	}
	infos, err := s.tools.List(ctx, req.GetDataset())
	if err != nil {
		return nil, toStatus(err)
	}
	out := &mrswarmv1.ListToolsResponse{Tools: make([]*mrswarmv1.Tool, len(infos))}
	for i, info := range infos {
		if out.Tools[i], err = toolToProto(info); err != nil {
			return nil, toStatus(err)
		}
	}
	return out, nil
}

func (s *toolServer) CallTool(ctx context.Context, req *mrswarmv1.CallToolRequest) (*mrswarmv1.CallToolResponse, error) {
	if err := requireFields("dataset", req.GetDataset(), "tool", req.GetTool()); err != nil {
		return nil, err
	}
	args, err := structToJSON(req.GetArgs())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	sum, err := s.tools.Call(ctx, req.GetDataset(), req.GetTool(), args)
	if err != nil {
		return nil, toStatus(err)
	}
	took := time.Since(start)
	s.m.ToolCall(req.GetTool(), took)
	return &mrswarmv1.CallToolResponse{Result: summaryToProto(sum), Duration: durationpb.New(took)}, nil
}

func toolToProto(info tools.Info) (*mrswarmv1.Tool, error) {
	schema := &structpb.Struct{}
	if len(info.Schema) > 0 {
		if err := protojson.Unmarshal(info.Schema, schema); err != nil {
			return nil, err
		}
	}
	roles := make([]string, len(info.RequiredRoles))
	for i, r := range info.RequiredRoles {
		roles[i] = string(r)
	}
	return &mrswarmv1.Tool{
		Name:              info.Name,
		Description:       info.Description,
		ArgsSchema:        schema,
		RequiredRoles:     roles,
		Available:         info.Available,
		UnavailableReason: info.Reason,
	}, nil
}

// structToJSON turns tool arguments into JSON; nil stays nil (defaults).
func structToJSON(s *structpb.Struct) ([]byte, error) {
	if s == nil {
		return nil, nil
	}
	b, err := protojson.Marshal(s)
	if err != nil {
		return nil, invalidf("args: %v", err)
	}
	return b, nil
}
