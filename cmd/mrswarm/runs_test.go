package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

func TestRunsWall(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	created := timestamppb.New(now.Add(-42 * time.Second))
	tests := []struct {
		name   string
		status mrswarmv1.RunStatus
		wall   time.Duration // the stored profile's
		want   string
	}{
		{"running: the time so far", mrswarmv1.RunStatus_RUN_STATUS_RUNNING, 0, "42s"},
		{"pending: the time so far", mrswarmv1.RunStatus_RUN_STATUS_PENDING, 0, "42s"},
		{"succeeded: its wall", mrswarmv1.RunStatus_RUN_STATUS_SUCCEEDED, 7700 * time.Millisecond, "7.7s"},
		{"canceled: its wall", mrswarmv1.RunStatus_RUN_STATUS_CANCELED, 9460 * time.Millisecond, "9.46s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &mrswarmv1.Run{Id: "run_1", Status: tt.status, CreatedAt: created,
				Profile: &mrswarmv1.RunProfile{Wall: durationpb.New(tt.wall)}}
			var out bytes.Buffer
			printRuns(&out, []*mrswarmv1.Run{r}, now)
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("runs printed %q", out.String())
			}
			wallCol := strings.Index(lines[0], "WALL")
			if got := strings.Fields(lines[1][wallCol:])[0]; got != tt.want {
				t.Errorf("WALL = %q, want %q\n%s", got, tt.want, out.String())
			}
		})
	}
}
