package server

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// Run list sizes.
const (
	defaultRunList = 50
	maxRunList     = 1000
)

// pipelineServer implements mrswarmv1.PipelineServiceServer over a pipeline.Runner.
type pipelineServer struct {
	mrswarmv1.UnimplementedPipelineServiceServer
	runner *pipeline.Runner
}

func newPipelineServer(r *pipeline.Runner) mrswarmv1.PipelineServiceServer {
	return &pipelineServer{runner: r}
}

func (s *pipelineServer) ListAgents(context.Context, *mrswarmv1.ListAgentsRequest) (*mrswarmv1.ListAgentsResponse, error) {
	defs := agent.Builtins()
	out := &mrswarmv1.ListAgentsResponse{Agents: make([]*mrswarmv1.Agent, len(defs))}
	for i, d := range defs {
		out.Agents[i] = agentToProto(d)
	}
	return out, nil
}

func (s *pipelineServer) ListPresets(context.Context, *mrswarmv1.ListPresetsRequest) (*mrswarmv1.ListPresetsResponse, error) {
	ps := pipeline.Presets()
	out := &mrswarmv1.ListPresetsResponse{Presets: make([]*mrswarmv1.Pipeline, len(ps))}
	for i, p := range ps {
		out.Presets[i] = pipelineToProto(p)
	}
	return out, nil
}

func (s *pipelineServer) ValidatePipeline(ctx context.Context, req *mrswarmv1.ValidatePipelineRequest) (*mrswarmv1.ValidatePipelineResponse, error) {
	if err := requireFields("dataset", req.GetDataset()); err != nil {
		return nil, err
	}
	p, err := resolvePipeline(req.GetPreset(), req.GetPipeline())
	if err != nil {
		return nil, err
	}
	stages, err := s.runner.Validate(ctx, req.GetDataset(), p, agentsToDomain(req.GetAgents()))
	if err != nil {
		return nil, toStatus(err)
	}
	return &mrswarmv1.ValidatePipelineResponse{Pipeline: pipelineToProto(p), Stages: stagesToProto(stages)}, nil
}

func (s *pipelineServer) StartRun(ctx context.Context, req *mrswarmv1.StartRunRequest) (*mrswarmv1.StartRunResponse, error) {
	run, err := s.start(ctx, req)
	if err != nil {
		return nil, err
	}
	return &mrswarmv1.StartRunResponse{RunId: run.ID, Pipeline: pipelineToProto(run.Pipeline), Stages: stagesToProto(run.Stages)}, nil
}

// RunPipeline starts a run and streams its events. The run does not depend on
// the stream: a client that goes away can re-attach with WatchRun.
func (s *pipelineServer) RunPipeline(req *mrswarmv1.StartRunRequest, stream mrswarmv1.PipelineService_RunPipelineServer) error {
	run, err := s.start(stream.Context(), req)
	if err != nil {
		return err
	}
	return s.watch(stream.Context(), run.ID, 0, stream.Send)
}

func (s *pipelineServer) WatchRun(req *mrswarmv1.WatchRunRequest, stream mrswarmv1.PipelineService_WatchRunServer) error {
	if err := requireFields("run_id", req.GetRunId()); err != nil {
		return err
	}
	if req.GetAfterSeq() < 0 {
		return invalidf("after_seq %d is negative", req.GetAfterSeq())
	}
	return s.watch(stream.Context(), req.GetRunId(), req.GetAfterSeq(), stream.Send)
}

func (s *pipelineServer) GetRun(ctx context.Context, req *mrswarmv1.GetRunRequest) (*mrswarmv1.Run, error) {
	if err := requireFields("run_id", req.GetRunId()); err != nil {
		return nil, err
	}
	run, err := s.runner.Get(ctx, req.GetRunId())
	if err != nil {
		return nil, toStatus(err)
	}
	return runToProto(run), nil
}

func (s *pipelineServer) ListRuns(ctx context.Context, req *mrswarmv1.ListRunsRequest) (*mrswarmv1.ListRunsResponse, error) {
	limit := int(req.GetLimit())
	switch {
	case limit == 0:
		limit = defaultRunList
	case limit < 0 || limit > maxRunList:
		return nil, invalidf("limit %d is out of range [1, %d]", limit, maxRunList)
	}
	runs, err := s.runner.List(ctx, limit)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &mrswarmv1.ListRunsResponse{Runs: make([]*mrswarmv1.Run, len(runs))}
	for i, r := range runs {
		out.Runs[i] = runToProto(r)
	}
	return out, nil
}

func (s *pipelineServer) CancelRun(ctx context.Context, req *mrswarmv1.CancelRunRequest) (*mrswarmv1.Run, error) {
	if err := requireFields("run_id", req.GetRunId()); err != nil {
		return nil, err
	}
	run, err := s.runner.Cancel(ctx, req.GetRunId())
	if err != nil {
		return nil, toStatus(err)
	}
	return runToProto(run), nil
}

func (s *pipelineServer) GetRunReport(ctx context.Context, req *mrswarmv1.GetRunReportRequest) (*mrswarmv1.RunReport, error) {
	if err := requireFields("run_id", req.GetRunId()); err != nil {
		return nil, err
	}
	switch req.GetFormat() {
	case mrswarmv1.ReportFormat_REPORT_FORMAT_UNSPECIFIED, mrswarmv1.ReportFormat_REPORT_FORMAT_MARKDOWN:
		handle, md, err := s.runner.Report(ctx, req.GetRunId())
		if err != nil {
			return nil, toStatus(err)
		}
		return &mrswarmv1.RunReport{RunId: req.GetRunId(), Handle: handle, Markdown: md}, nil
	case mrswarmv1.ReportFormat_REPORT_FORMAT_HTML:
		handle, doc, err := s.runner.ReportHTML(ctx, req.GetRunId())
		if err != nil {
			return nil, toStatus(err)
		}
		return &mrswarmv1.RunReport{RunId: req.GetRunId(), Handle: handle, Html: doc}, nil
	}
	return nil, invalidf("format %v is unknown; use REPORT_FORMAT_MARKDOWN or REPORT_FORMAT_HTML", req.GetFormat())
}

// start validates a StartRunRequest and starts the run.
func (s *pipelineServer) start(ctx context.Context, req *mrswarmv1.StartRunRequest) (pipeline.Run, error) {
	if err := requireFields("dataset", req.GetDataset()); err != nil {
		return pipeline.Run{}, err
	}
	p, err := resolvePipeline(req.GetPreset(), req.GetPipeline())
	if err != nil {
		return pipeline.Run{}, err
	}
	opts, err := optionsToDomain(req.GetOptions())
	if err != nil {
		return pipeline.Run{}, err
	}
	run, err := s.runner.Start(ctx, pipeline.StartRequest{
		Dataset: req.GetDataset(), Pipeline: p, Inputs: inputsToDomain(req.GetInputs()),
		Options: opts, Agents: agentsToDomain(req.GetAgents()),
	})
	if err != nil {
		return pipeline.Run{}, toStatus(err)
	}
	return run, nil
}

// watch sends a run's events after afterSeq until the run finishes.
func (s *pipelineServer) watch(ctx context.Context, runID string, afterSeq int64, send func(*mrswarmv1.Event) error) error {
	err := s.runner.Watch(ctx, runID, afterSeq, func(e pipeline.Event) error {
		return send(eventToProto(e))
	})
	return toStatus(err)
}

// resolvePipeline returns the named preset or the converted pipeline.
func resolvePipeline(preset string, p *mrswarmv1.Pipeline) (pipeline.Pipeline, error) {
	switch {
	case preset != "":
		pp, ok := pipeline.Preset(preset)
		if !ok {
			return pipeline.Pipeline{}, status.Error(codes.NotFound, fmt.Sprintf("preset %q not found (known: %v)", preset, presetNames()))
		}
		return pp, nil
	case p != nil:
		return pipelineToDomain(p)
	}
	return pipeline.Pipeline{}, invalidf("preset or pipeline is required")
}

func presetNames() []string {
	var names []string
	for _, p := range pipeline.Presets() {
		names = append(names, p.Name)
	}
	return names
}
