package agent

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/sql/gendata"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// TestCampaignOptimizerChannelTools: on channel data (spend, no revenue) the campaign
// optimizer is offered response_curves and optimize_budget, whose turn format fits the
// grammar; on the beverage data its prompt says they are not available and why.
func TestCampaignOptimizerChannelTools(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "ch.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := gendata.ChannelConfig{Seed: 1, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Days: 120,
		Channels: gendata.DefaultChannels(4), Noise: 0.05, RowsPerDay: 1}
	if err := gendata.WriteChannels(f, cfg); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ctx := context.Background()
	st, err := store.Open(ctx, "", store.Options{DataRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.LoadFile(ctx, "ch", "ch.csv", store.FormatCSV, nil); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(Builtins(), func(d Definition) bool { return d.Name == "campaign_optimizer" })
	d := Builtins()[i]
	env, err := tools.NewCatalog(st).Env(ctx, "ch")
	if err != nil {
		t.Fatal(err)
	}
	defs, _, err := agentTools(env, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, td := range defs {
		names = append(names, td.name)
	}
	if !slices.Contains(names, "response_curves") || !slices.Contains(names, "optimize_budget") {
		t.Fatalf("tools on channel data: %v", names)
	}
	if _, err := turnFormat(defs, []string{"res_00000000"}, either); err != nil {
		t.Fatal(err)
	}
	_, unavailable, err := agentTools(beverageTools(t), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := systemPrompt(d, nil, unavailable, false)
	if !strings.Contains(p, `optimize_budget, response_curves (dataset "beverage" has no column with role "spend")`) {
		t.Errorf("prompt does not say why optimize_budget is unavailable:\n%s", p)
	}
}
