package mrswarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestWatchReattach(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "connection lost")
	tests := []struct {
		name         string
		scripts      []attachScript
		runStatus    mrswarmv1.RunStatus
		maxReattach  int
		wantSeqs     []int64
		wantAfterSeq []int64
		wantCode     codes.Code // of the final error, OK for none
	}{
		{
			name:         "one stream",
			wantSeqs:     []int64{1, 2, 3, 4, 5, 6},
			wantAfterSeq: []int64{0},
		},
		{
			name:         "unavailable mid-stream",
			scripts:      []attachScript{{upTo: 2, err: unavailable}},
			wantSeqs:     []int64{1, 2, 3, 4, 5, 6},
			wantAfterSeq: []int64{0, 2},
		},
		{
			name:         "end of stream before run_finished",
			scripts:      []attachScript{{upTo: 3}, {upTo: 3, err: unavailable}, {upTo: 5}},
			runStatus:    mrswarmv1.RunStatus_RUN_STATUS_RUNNING,
			wantSeqs:     []int64{1, 2, 3, 4, 5, 6},
			wantAfterSeq: []int64{0, 3, 3, 5},
		},
		{
			name:         "not found is final",
			scripts:      []attachScript{{upTo: 0, err: status.Error(codes.NotFound, "no run")}},
			wantAfterSeq: []int64{0},
			wantCode:     codes.NotFound,
		},
		{
			name:         "gives up without progress",
			scripts:      []attachScript{{upTo: 1, err: unavailable}, {upTo: 1, err: unavailable}, {upTo: 1, err: unavailable}, {upTo: 1, err: unavailable}},
			maxReattach:  2,
			wantSeqs:     []int64{1},
			wantAfterSeq: []int64{0, 1, 1},
			wantCode:     codes.Unavailable,
		},
		{
			name:         "interrupted run ends cleanly",
			scripts:      []attachScript{{upTo: 2}, {upTo: 2}},
			runStatus:    mrswarmv1.RunStatus_RUN_STATUS_INTERRUPTED,
			wantSeqs:     []int64{1, 2},
			wantAfterSeq: []int64{0, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{events: 6, scripts: tt.scripts, runStatus: tt.runStatus}
			opts := []Option{WithReattach(10, time.Millisecond)}
			if tt.maxReattach > 0 {
				opts = append(opts, WithReattach(tt.maxReattach, time.Millisecond))
			}
			c := startFake(t, f, opts...)
			var seqs []int64
			var last error
			for ev, err := range c.Run(t.Context(), &mrswarmv1.StartRunRequest{Dataset: "d"}) {
				if err != nil {
					last = err
					continue
				}
				seqs = append(seqs, ev.GetSeq())
			}
			if diff := cmp.Diff(tt.wantSeqs, seqs); diff != "" {
				t.Errorf("event seqs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAfterSeq, f.afterSeq); diff != "" {
				t.Errorf("WatchRun after_seq (-want +got):\n%s", diff)
			}
			if got := status.Code(last); got != tt.wantCode {
				t.Errorf("final error %v, want code %v", last, tt.wantCode)
			}
		})
	}
}

func TestWatchContextCancel(t *testing.T) {
	f := &fakeServer{events: 6, scripts: []attachScript{{upTo: 2, block: true}}}
	c := startFake(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var seqs []int64
	var last error
	for ev, err := range c.Watch(ctx, "run_1", 0) {
		if err != nil {
			last = err
			continue
		}
		seqs = append(seqs, ev.GetSeq())
		if ev.GetSeq() == 2 {
			cancel()
		}
	}
	if diff := cmp.Diff([]int64{1, 2}, seqs); diff != "" {
		t.Errorf("event seqs (-want +got):\n%s", diff)
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("final error = %v, want context.Canceled", last)
	}
}

func TestWatchConsumerStops(t *testing.T) {
	f := &fakeServer{events: 6}
	c := startFake(t, f)
	n := 0
	for _, err := range c.Watch(t.Context(), "run_1", 3) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 || len(f.afterSeq) != 1 || f.afterSeq[0] != 3 {
		t.Errorf("got %d events, WatchRun calls %v; want 1 event and one call after seq 3", n, f.afterSeq)
	}
}

func TestRowsPaging(t *testing.T) {
	tests := []struct {
		name      string
		rows      int
		pageSize  int
		wantPages []int64 // offsets
	}{
		{"three pages", 250, 100, []int64{0, 100, 200}},
		{"exact pages", 200, 100, []int64{0, 100}},
		{"server default", 150, 0, []int64{0, 100}},
		{"empty", 0, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startFake(t, &fakeServer{rows: tt.rows})
			for _, stream := range []bool{false, true} {
				var offsets []int64
				var got []any
				seq := c.Rows(t.Context(), "res_1", tt.pageSize)
				if stream {
					seq = c.StreamRows(t.Context(), "res_1", max(tt.pageSize, 100))
				}
				for p, err := range seq {
					if err != nil {
						t.Fatal(err)
					}
					offsets = append(offsets, p.Offset)
					for _, r := range p.Rows {
						got = append(got, r[0])
					}
				}
				if !stream {
					if diff := cmp.Diff(tt.wantPages, offsets); diff != "" {
						t.Errorf("page offsets (-want +got):\n%s", diff)
					}
				}
				if len(got) != tt.rows {
					t.Fatalf("stream=%v: %d rows, want %d", stream, len(got), tt.rows)
				}
				for i, v := range got {
					if v != float64(i) {
						t.Fatalf("stream=%v: row %d = %v", stream, i, v)
					}
				}
			}
		})
	}
}

func TestRowsError(t *testing.T) {
	c := startFake(t, &fakeServer{rows: 5})
	n := 0
	for _, err := range c.Rows(t.Context(), "res_nope", 10) {
		n++
		if status.Code(err) != codes.NotFound {
			t.Errorf("err = %v, want NotFound", err)
		}
	}
	if n != 1 {
		t.Errorf("yielded %d times, want once", n)
	}
}

func TestUploadChunks(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), (2*UploadChunkSize+1000)/16)
	f := &fakeServer{}
	c := startFake(t, f)
	resp, err := c.UploadDataset(t.Context(), "sales", "sales.csv", bytes.NewReader(data), WithRoles(map[string]string{"brand": "product"}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.uploaded, data) || resp.GetBytesRead() != int64(len(data)) {
		t.Errorf("server got %d bytes, want %d", len(f.uploaded), len(data))
	}
	if f.chunks != 3 {
		t.Errorf("chunks = %d, want 3", f.chunks)
	}
	if f.header.GetFilename() != "sales.csv" || f.header.GetRoles()["brand"] != "product" {
		t.Errorf("header = %v", f.header)
	}
}

func TestUploadServerError(t *testing.T) {
	c := startFake(t, &fakeServer{})
	data := bytes.Repeat([]byte("x"), 4*UploadChunkSize)
	_, err := c.UploadDataset(t.Context(), "bad", "x.csv", bytes.NewReader(data))
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("err = %v, want InvalidArgument", err)
	}
}

func TestCallToolArgs(t *testing.T) {
	type args struct {
		Brands []string `json:"brands"`
		Top    int      `json:"top"`
	}
	tests := []struct {
		name    string
		args    any
		want    string // JSON of the args the server received
		wantErr error
	}{
		{"nil", nil, "null", nil},
		{"map", map[string]any{"top": 3}, `{"top":3}`, nil},
		{"struct", args{Brands: []string{"Coca-Cola"}, Top: 2}, `{"brands":["Coca-Cola"],"top":2}`, nil},
		{"raw", json.RawMessage(`{"period":"month"}`), `{"period":"month"}`, nil},
		{"string", `{"a":true}`, `{"a":true}`, nil},
		{"array is not an object", []int{1}, "", ErrArgs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{}
			c := startFake(t, f)
			_, err := c.CallTool(t.Context(), "d", "kpi_summary", tt.args)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			got := "null"
			if f.toolArgs != nil {
				b, _ := f.toolArgs.MarshalJSON()
				var v any
				_ = json.Unmarshal(b, &v)
				b, _ = json.Marshal(v)
				got = string(b)
			}
			if got != tt.want {
				t.Errorf("server args = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestIsLocal(t *testing.T) {
	tests := map[string]bool{
		"127.0.0.1:7070":           true,
		"localhost:7070":           true,
		"[::1]:7070":               true,
		"dns:///localhost:7070":    true,
		"unix:///tmp/mrswarm.sock": true,
		"example.com:443":          false,
		"10.0.0.5:7070":            false,
		"passthrough:///bufnet":    false,
	}
	for target, want := range tests {
		t.Run(target, func(t *testing.T) {
			if got := isLocal(target); got != want {
				t.Errorf("isLocal(%q) = %v, want %v", target, got, want)
			}
		})
	}
}

func TestPerCallTimeout(t *testing.T) {
	f := &fakeServer{events: 3, scripts: []attachScript{{upTo: 0, block: true}}}
	c := startFake(t, f, WithTimeout(time.Nanosecond))
	_, err := c.GetRun(t.Context(), "run_1")
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("GetRun err = %v, want DeadlineExceeded", err)
	}
}
