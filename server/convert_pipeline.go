package server

import (
	"encoding/json"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/agent"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// This file converts the pipeline package's types to and from their protos.

func agentToProto(d agent.Definition) *mrswarmv1.Agent {
	return &mrswarmv1.Agent{
		Name: d.Name, Role: d.Role, Goal: d.Goal, Backstory: d.Backstory, Task: d.Task,
		Tools: d.Tools, MaxSteps: int32(d.MaxSteps), Model: d.Model,
	}
}

func agentsToDomain(as []*mrswarmv1.Agent) []agent.Definition {
	out := make([]agent.Definition, len(as))
	for i, a := range as {
		out[i] = agent.Definition{
			Name: a.GetName(), Role: a.GetRole(), Goal: a.GetGoal(), Backstory: a.GetBackstory(),
			Task: a.GetTask(), Tools: a.GetTools(), MaxSteps: int(a.GetMaxSteps()), Model: a.GetModel(),
		}
	}
	return out
}

func pipelineToProto(p pipeline.Pipeline) *mrswarmv1.Pipeline {
	steps := make([]*mrswarmv1.Step, len(p.Steps))
	for i, s := range p.Steps {
		steps[i] = stepToProto(s)
	}
	return &mrswarmv1.Pipeline{Name: p.Name, Description: p.Description, Steps: steps}
}

func stepToProto(s pipeline.Step) *mrswarmv1.Step {
	out := &mrswarmv1.Step{Id: s.ID, DependsOn: s.DependsOn}
	switch {
	case s.Agent != nil:
		out.Kind = &mrswarmv1.Step_Agent{Agent: &mrswarmv1.AgentStep{Agent: s.Agent.Agent, Task: s.Agent.Task, Model: s.Agent.Model}}
	case s.Tool != nil:
		out.Kind = &mrswarmv1.Step_Tool{Tool: &mrswarmv1.ToolStep{Tool: s.Tool.Tool, Args: jsonToStruct(s.Tool.Args)}}
	case s.SQL != nil:
		out.Kind = &mrswarmv1.Step_Sql{Sql: &mrswarmv1.SQLStep{Sql: s.SQL.SQL}}
	case s.Report != nil:
		out.Kind = &mrswarmv1.Step_Report{Report: &mrswarmv1.ReportStep{Title: s.Report.Title}}
	}
	return out
}

// pipelineToDomain converts a pipeline; a step without a kind stays without one
// so that validation reports it with every other problem.
func pipelineToDomain(p *mrswarmv1.Pipeline) (pipeline.Pipeline, error) {
	out := pipeline.Pipeline{Name: p.GetName(), Description: p.GetDescription(), Steps: make([]pipeline.Step, len(p.GetSteps()))}
	for i, s := range p.GetSteps() {
		step := pipeline.Step{ID: s.GetId(), DependsOn: s.GetDependsOn()}
		switch k := s.GetKind().(type) {
		case *mrswarmv1.Step_Agent:
			step.Agent = &pipeline.AgentStep{Agent: k.Agent.GetAgent(), Task: k.Agent.GetTask(), Model: k.Agent.GetModel()}
		case *mrswarmv1.Step_Tool:
			args, err := structToJSON(k.Tool.GetArgs())
			if err != nil {
				return pipeline.Pipeline{}, invalidf("step %q: %v", s.GetId(), err)
			}
			step.Tool = &pipeline.ToolStep{Tool: k.Tool.GetTool(), Args: args}
		case *mrswarmv1.Step_Sql:
			step.SQL = &pipeline.SQLStep{SQL: k.Sql.GetSql()}
		case *mrswarmv1.Step_Report:
			step.Report = &pipeline.ReportStep{Title: k.Report.GetTitle()}
		}
		out.Steps[i] = step
	}
	return out, nil
}

// jsonToStruct converts tool arguments for display; invalid JSON (never stored
// by the pipeline) is dropped.
func jsonToStruct(b json.RawMessage) *structpb.Struct {
	if len(b) == 0 {
		return nil
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(b, s); err != nil {
		return nil
	}
	return s
}

func stagesToProto(stages []pipeline.Stage) []*mrswarmv1.Stage {
	out := make([]*mrswarmv1.Stage, len(stages))
	for i, s := range stages {
		out[i] = &mrswarmv1.Stage{Index: int32(s.Index), StepIds: s.StepIDs}
	}
	return out
}

func inputsToProto(in agent.Inputs) *mrswarmv1.RunInputs {
	return &mrswarmv1.RunInputs{
		TargetAudience: in.TargetAudience, Budget: in.Budget, Duration: in.Duration,
		CampaignGoals: in.CampaignGoals, AnalysisFocus: in.AnalysisFocus, Brands: in.Brands, Extra: in.Extra,
	}
}

func inputsToDomain(in *mrswarmv1.RunInputs) agent.Inputs {
	return agent.Inputs{
		TargetAudience: in.GetTargetAudience(), Budget: in.GetBudget(), Duration: in.GetDuration(),
		CampaignGoals: in.GetCampaignGoals(), AnalysisFocus: in.GetAnalysisFocus(), Brands: in.GetBrands(), Extra: in.GetExtra(),
	}
}

func optionsToDomain(o *mrswarmv1.RunOptions) (pipeline.Options, error) {
	if o.GetMaxParallel() < 0 {
		return pipeline.Options{}, invalidf("options.max_parallel %d is negative", o.GetMaxParallel())
	}
	out := pipeline.Options{MaxParallel: int(o.GetMaxParallel()), Force: o.GetForce(), Model: o.GetModel()}
	switch o.GetContextMode() {
	case mrswarmv1.ContextMode_CONTEXT_MODE_UNSPECIFIED, mrswarmv1.ContextMode_CONTEXT_MODE_HANDLES:
		out.Context = agent.ContextHandles
	case mrswarmv1.ContextMode_CONTEXT_MODE_FULL:
		out.Context = agent.ContextFull
	default:
		return pipeline.Options{}, invalidf("options.context_mode %d is unknown", o.GetContextMode())
	}
	switch o.GetToolMode() {
	case mrswarmv1.ToolMode_TOOL_MODE_UNSPECIFIED, mrswarmv1.ToolMode_TOOL_MODE_SCHEMA:
		out.ToolMode = agent.ToolSchema
	case mrswarmv1.ToolMode_TOOL_MODE_NATIVE:
		out.ToolMode = agent.ToolNative
	case mrswarmv1.ToolMode_TOOL_MODE_AUTO:
		out.ToolMode = agent.ToolAuto
	default:
		return pipeline.Options{}, invalidf("options.tool_mode %d is unknown", o.GetToolMode())
	}
	return out, nil
}

func optionsToProto(o pipeline.Options) *mrswarmv1.RunOptions {
	out := &mrswarmv1.RunOptions{MaxParallel: int32(o.MaxParallel), Force: o.Force, Model: o.Model,
		ContextMode: mrswarmv1.ContextMode_CONTEXT_MODE_HANDLES, ToolMode: mrswarmv1.ToolMode_TOOL_MODE_SCHEMA}
	if o.Context == agent.ContextFull {
		out.ContextMode = mrswarmv1.ContextMode_CONTEXT_MODE_FULL
	}
	switch o.ToolMode {
	case agent.ToolNative:
		out.ToolMode = mrswarmv1.ToolMode_TOOL_MODE_NATIVE
	case agent.ToolAuto:
		out.ToolMode = mrswarmv1.ToolMode_TOOL_MODE_AUTO
	}
	return out
}

// enumValue finds the proto enum value named prefix + upper(name), e.g.
// "RUN_STATUS_" + "partially_failed"; unknown names are 0 (UNSPECIFIED).
func enumValue(values map[string]int32, prefix, name string) int32 {
	return values[prefix+strings.ToUpper(name)]
}

func tokensToProto(t pipeline.TokenUsage) *mrswarmv1.TokenUsage {
	return &mrswarmv1.TokenUsage{PromptTokens: t.PromptTokens, CompletionTokens: t.CompletionTokens,
		TotalTokens: t.TotalTokens, LlmCalls: int32(t.LLMCalls)}
}

func stepStateToProto(s pipeline.StepState) *mrswarmv1.StepState {
	return &mrswarmv1.StepState{
		Id: s.ID, Kind: s.Kind, Agent: s.Agent, Stage: int32(s.Stage),
		Status:       mrswarmv1.StepStatus(enumValue(mrswarmv1.StepStatus_value, "STEP_STATUS_", string(s.Status))),
		ResultHandle: s.ResultHandle, Handles: s.Handles, Output: s.Output, Error: s.Error,
		Tokens: tokensToProto(s.Tokens),
		Profile: &mrswarmv1.StepProfile{
			Wall: durationpb.New(s.Profile.Wall), QueueWait: durationpb.New(s.Profile.QueueWait),
			Llm: durationpb.New(s.Profile.LLM), Sql: durationpb.New(s.Profile.SQL), Overhead: durationpb.New(s.Profile.Overhead),
		},
		MemoKey: s.MemoKey, ToolCalls: int32(s.ToolCalls),
		StartedAt: timeToProto(s.StartedAt), FinishedAt: timeToProto(s.FinishedAt),
	}
}

func runToProto(r pipeline.Run) *mrswarmv1.Run {
	steps := make([]*mrswarmv1.StepState, len(r.Steps))
	for i, s := range r.Steps {
		steps[i] = stepStateToProto(s)
	}
	agentTokens := make(map[string]*mrswarmv1.TokenUsage, len(r.AgentTokens))
	for a, t := range r.AgentTokens {
		agentTokens[a] = tokensToProto(t)
	}
	p := r.Profile
	return &mrswarmv1.Run{
		Id: r.ID, Status: mrswarmv1.RunStatus(enumValue(mrswarmv1.RunStatus_value, "RUN_STATUS_", string(r.Status))),
		Dataset: r.Dataset, Pipeline: pipelineToProto(r.Pipeline), Inputs: inputsToProto(r.Inputs),
		Options: optionsToProto(r.Options), Steps: steps, Stages: stagesToProto(r.Stages),
		Tokens: tokensToProto(r.Tokens), AgentTokens: agentTokens,
		Profile: &mrswarmv1.RunProfile{
			Wall: durationpb.New(p.Wall), Llm: durationpb.New(p.LLM), Sql: durationpb.New(p.SQL),
			Overhead: durationpb.New(p.Overhead), CpuUser: durationpb.New(p.CPUUser),
			CpuSystem: durationpb.New(p.CPUSystem), PeakRssBytes: p.PeakRSS,
		},
		Errors: r.Errors, ReportHandle: r.ReportHandle, Claims: claimsToProto(r.Claims),
		CreatedAt: timeToProto(r.CreatedAt), FinishedAt: timeToProto(r.FinishedAt),
	}
}

func eventToProto(e pipeline.Event) *mrswarmv1.Event {
	out := &mrswarmv1.Event{
		Seq: e.Seq, RunId: e.RunID, Time: timeToProto(e.Time),
		Type:   mrswarmv1.EventType(enumValue(mrswarmv1.EventType_value, "EVENT_TYPE_", string(e.Type))),
		StepId: e.StepID, Stage: int32(e.Stage), Message: e.Message,
	}
	if e.Step != nil {
		out.Step = stepStateToProto(*e.Step)
	}
	if c := e.LLM; c != nil {
		out.LlmCall = &mrswarmv1.LLMCall{Model: c.Model, PromptTokens: c.PromptTokens, CompletionTokens: c.CompletionTokens,
			Total: durationpb.New(c.Total), Load: durationpb.New(c.Load), PromptEval: durationpb.New(c.PromptEval),
			Eval: durationpb.New(c.Eval), Wall: durationpb.New(c.Wall), Turn: int32(c.Turn), Host: c.Host}
	}
	if c := e.Tool; c != nil {
		out.ToolCall = &mrswarmv1.ToolCall{Tool: c.Tool, Args: c.Args, Handle: c.Handle, Duration: durationpb.New(c.Duration), Error: c.Error}
	}
	if e.Run != nil {
		out.Run = runToProto(*e.Run)
	}
	return out
}
