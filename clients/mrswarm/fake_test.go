package mrswarm

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/structpb"
)

// attachScript says what one WatchRun call of the fake does: send the events
// with seq in (after_seq, upTo] and then end with err (nil is a clean end of
// stream); block keeps the stream open until the client goes away.
type attachScript struct {
	upTo  int64
	err   error
	block bool
}

// fakeServer is a scripted mrswarm server for the client's unit tests.
type fakeServer struct {
	mrswarmv1.UnimplementedPipelineServiceServer
	mrswarmv1.UnimplementedResultServiceServer
	mrswarmv1.UnimplementedDatasetServiceServer
	mrswarmv1.UnimplementedToolServiceServer

	events    int64 // run_1 has events 1..events, the last one run_finished
	runStatus mrswarmv1.RunStatus
	rows      int // rows of result res_1: row i is [i, "r<i>"]

	mu       sync.Mutex // guards the fields below
	scripts  []attachScript
	afterSeq []int64 // after_seq of every WatchRun call
	uploaded []byte
	chunks   int
	header   *mrswarmv1.UploadHeader
	toolArgs *structpb.Struct
}

func (f *fakeServer) StartRun(context.Context, *mrswarmv1.StartRunRequest) (*mrswarmv1.StartRunResponse, error) {
	return &mrswarmv1.StartRunResponse{RunId: "run_1"}, nil
}

func (f *fakeServer) GetRun(context.Context, *mrswarmv1.GetRunRequest) (*mrswarmv1.Run, error) {
	return &mrswarmv1.Run{Id: "run_1", Status: f.runStatus}, nil
}

func (f *fakeServer) WatchRun(req *mrswarmv1.WatchRunRequest, stream grpc.ServerStreamingServer[mrswarmv1.Event]) error {
	f.mu.Lock()
	f.afterSeq = append(f.afterSeq, req.GetAfterSeq())
	sc := attachScript{upTo: f.events}
	if len(f.scripts) > 0 {
		sc, f.scripts = f.scripts[0], f.scripts[1:]
	}
	f.mu.Unlock()
	for seq := req.GetAfterSeq() + 1; seq <= min(sc.upTo, f.events); seq++ {
		typ := mrswarmv1.EventType_EVENT_TYPE_STEP_STARTED
		if seq == f.events {
			typ = mrswarmv1.EventType_EVENT_TYPE_RUN_FINISHED
		}
		if err := stream.Send(&mrswarmv1.Event{Seq: seq, RunId: req.GetRunId(), Type: typ}); err != nil {
			return err
		}
	}
	if sc.block {
		<-stream.Context().Done()
		return stream.Context().Err()
	}
	return sc.err
}

func (f *fakeServer) GetResultPage(_ context.Context, req *mrswarmv1.GetResultPageRequest) (*mrswarmv1.ResultPage, error) {
	if req.GetHandle() != "res_1" {
		return nil, status.Error(codes.NotFound, "no such result")
	}
	limit := int64(req.GetLimit())
	if limit == 0 {
		limit = 100
	}
	return f.page(req.GetOffset(), limit), nil
}

func (f *fakeServer) StreamResult(req *mrswarmv1.StreamResultRequest, stream grpc.ServerStreamingServer[mrswarmv1.ResultPage]) error {
	for off := int64(0); off < int64(f.rows); off += int64(req.GetChunkRows()) {
		if err := stream.Send(f.page(off, int64(req.GetChunkRows()))); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeServer) page(offset, limit int64) *mrswarmv1.ResultPage {
	total := int64(f.rows)
	end := min(offset+limit, total)
	p := &mrswarmv1.ResultPage{Handle: "res_1", Offset: offset, TotalRows: total, NextOffset: end, Done: end == total}
	for i := offset; i < end; i++ {
		lv, _ := structpb.NewList([]any{float64(i), fmt.Sprintf("r%d", i)})
		p.Rows = append(p.Rows, lv)
	}
	return p
}

func (f *fakeServer) UploadDataset(stream grpc.ClientStreamingServer[mrswarmv1.UploadDatasetRequest, mrswarmv1.LoadDatasetResponse]) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		f.mu.Lock()
		if h := req.GetHeader(); h != nil {
			f.header = h
		} else {
			f.uploaded = append(f.uploaded, req.GetChunk()...)
			f.chunks++
		}
		f.mu.Unlock()
		if req.GetHeader().GetName() == "bad" {
			return status.Error(codes.InvalidArgument, "bad name")
		}
	}
	return stream.SendAndClose(&mrswarmv1.LoadDatasetResponse{
		Dataset: &mrswarmv1.Dataset{Name: f.header.GetName()}, BytesRead: int64(len(f.uploaded)),
	})
}

func (f *fakeServer) CallTool(_ context.Context, req *mrswarmv1.CallToolRequest) (*mrswarmv1.CallToolResponse, error) {
	f.mu.Lock()
	f.toolArgs = req.GetArgs()
	f.mu.Unlock()
	return &mrswarmv1.CallToolResponse{Result: &mrswarmv1.ResultSummary{Handle: "res_1"}}, nil
}

// startFake serves f over an in-memory listener and returns a client of it.
func startFake(t *testing.T, f *fakeServer, opts ...Option) *Client {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	mrswarmv1.RegisterPipelineServiceServer(srv, f)
	mrswarmv1.RegisterResultServiceServer(srv, f)
	mrswarmv1.RegisterDatasetServiceServer(srv, f)
	mrswarmv1.RegisterToolServiceServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	dial := func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	opts = append([]Option{WithInsecure(), WithDialOptions(grpc.WithContextDialer(dial))}, opts...)
	c, err := Dial(t.Context(), "passthrough:///bufnet", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
