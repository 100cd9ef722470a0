package pipeline

import (
	"encoding/json"
	"slices"
)

// agentStep is a step that runs agent name (with its own task template) after deps.
func agentStep(name string, deps ...string) Step {
	return Step{ID: name, DependsOn: deps, Agent: &AgentStep{Agent: name}}
}

// toolStep is a step that calls tool with JSON args after deps.
func toolStep(id, tool, args string, deps ...string) Step {
	return Step{ID: id, DependsOn: deps, Tool: &ToolStep{Tool: tool, Args: json.RawMessage(args)}}
}

// reportStep is the report step titled title after deps.
func reportStep(title string, deps ...string) Step {
	return Step{ID: "report", DependsOn: deps, Report: &ReportStep{Title: title}}
}

// presets are the original system's analysis types as pipelines.
var presets = []Pipeline{
	{Name: "campaign_optimization",
		Description: "Market research and competitive analysis in parallel, then brand performance; ROI and a budget plan from the tools; then campaign optimization interpreting them, then the report.",
		Steps: []Step{
			agentStep("market_research_analyst"),
			agentStep("competitive_analyst"),
			agentStep("brand_performance_specialist", "market_research_analyst", "competitive_analyst"),
			toolStep("roi", "roi", `{}`),
			toolStep("budget", "budget_plan", `{}`),
			agentStep("campaign_optimizer", "brand_performance_specialist", "roi", "budget"),
			reportStep("Campaign optimization report", "campaign_optimizer"),
		}},
	{Name: "roi_analysis",
		Description: "Data analysis of profitability, then campaign optimization for return on investment, then the report.",
		Steps: []Step{
			agentStep("data_analyst"),
			agentStep("campaign_optimizer", "data_analyst"),
			reportStep("ROI analysis report", "campaign_optimizer"),
		}},
	{Name: "sales_forecast",
		Description: "Market research; the sales_forecast and seasonality tools; then a forecasting specialist interpreting them, then the report.",
		Steps: []Step{
			agentStep("market_research_analyst"),
			toolStep("forecast", "sales_forecast", `{}`),
			toolStep("seasonality", "seasonality", `{}`),
			agentStep("forecasting_specialist", "market_research_analyst", "forecast", "seasonality"),
			reportStep("Sales forecast report", "forecasting_specialist"),
		}},
	{Name: "brand_performance",
		Description: "Competitive analysis, then brand strategy, then the report.",
		Steps: []Step{
			agentStep("competitive_analyst"),
			agentStep("brand_strategist", "competitive_analyst"),
			reportStep("Brand performance report", "brand_strategist"),
		}},
	{Name: "comprehensive",
		Description: "Market research, competitive and data analysis in parallel; brand performance and forecasting; campaign optimization and content strategy; then the report.",
		Steps: []Step{
			agentStep("market_research_analyst"),
			agentStep("competitive_analyst"),
			agentStep("data_analyst"),
			agentStep("brand_performance_specialist", "market_research_analyst", "competitive_analyst"),
			agentStep("forecasting_specialist", "market_research_analyst", "data_analyst"),
			agentStep("campaign_optimizer", "brand_performance_specialist", "forecasting_specialist"),
			agentStep("content_strategist", "brand_performance_specialist"),
			reportStep("Comprehensive marketing analysis", "campaign_optimizer", "content_strategist"),
		}},
	{Name: "quick_insights",
		Description: "Headline KPIs and market shares straight from the tools, one data analyst, then the report.",
		Steps: []Step{
			toolStep("kpis", "kpi_summary", `{}`),
			toolStep("shares", "market_share", `{}`),
			agentStep("data_analyst", "kpis", "shares"),
			reportStep("Quick insights", "data_analyst"),
		}},
}

// Presets returns the built-in pipelines: campaign_optimization, roi_analysis,
// sales_forecast, brand_performance, comprehensive and quick_insights.
func Presets() []Pipeline {
	out := make([]Pipeline, len(presets))
	for i, p := range presets {
		out[i] = clonePipeline(p)
	}
	return out
}

// Preset returns the built-in pipeline called name.
func Preset(name string) (Pipeline, bool) {
	i := slices.IndexFunc(presets, func(p Pipeline) bool { return p.Name == name })
	if i < 0 {
		return Pipeline{}, false
	}
	return clonePipeline(presets[i]), true
}

// clonePipeline deep-copies p so callers may change the copy.
func clonePipeline(p Pipeline) Pipeline {
	out := p
	out.Steps = make([]Step, len(p.Steps))
	for i, s := range p.Steps {
		c := s
		c.DependsOn = slices.Clone(s.DependsOn)
		if s.Agent != nil {
			a := *s.Agent
			c.Agent = &a
		}
		if s.Tool != nil {
			t := *s.Tool
			t.Args = slices.Clone(s.Tool.Args)
			c.Tool = &t
		}
		if s.SQL != nil {
			q := *s.SQL
			c.SQL = &q
		}
		if s.Report != nil {
			rp := *s.Report
			c.Report = &rp
		}
		out.Steps[i] = c
	}
	return out
}
