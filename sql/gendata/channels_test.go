package gendata

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"testing"
	"time"
)

func TestWriteChannels(t *testing.T) {
	chs := append(DefaultChannels(3), ChannelTruth{Name: "dark", Baseline: 10})
	cfg := ChannelConfig{Seed: 5, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Days: 40,
		Channels: chs, Seasonality: 0.2, Noise: 0.05, RowsPerDay: 3}
	var a, b bytes.Buffer
	if err := WriteChannels(&a, cfg); err != nil {
		t.Fatal(err)
	}
	if err := WriteChannels(&b, cfg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same config, different bytes")
	}
	recs, err := csv.NewReader(&a).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(recs)-1, 40*4*3; got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	spend := map[string]float64{}
	for _, r := range recs[1:] {
		x, _ := strconv.ParseFloat(r[3], 64)
		y, _ := strconv.ParseFloat(r[4], 64)
		if x < 0 || y < 0 || r[2][:len(r[1])] != r[1] {
			t.Fatalf("bad row %v", r)
		}
		spend[r[1]] += x
	}
	if spend["dark"] != 0 || spend["search"] <= 0 {
		t.Errorf("spend per channel %v", spend)
	}
	c := chs[0]
	if got := c.Response(c.HalfSat); math.Abs(got-c.Beta/2) > 1e-9 {
		t.Errorf("response at half saturation = %v, want %v", got, c.Beta/2)
	}
	if err := WriteChannels(&b, ChannelConfig{}); err == nil {
		t.Error("empty config accepted")
	}
}
