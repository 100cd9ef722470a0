package server

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/sql/store"
)

// Page sizes used when a request leaves them at 0.
const (
	defaultPageRows  = 100
	defaultChunkRows = 1000
)

// resultServer implements mrswarmv1.ResultServiceServer over the store.
type resultServer struct {
	mrswarmv1.UnimplementedResultServiceServer
	st          *store.Store
	maxPageSize int
}

func newResultServer(st *store.Store, maxPageSize int) mrswarmv1.ResultServiceServer {
	return &resultServer{st: st, maxPageSize: maxPageSize}
}

func (s *resultServer) RunSQL(ctx context.Context, req *mrswarmv1.RunSQLRequest) (*mrswarmv1.RunSQLResponse, error) {
	if err := requireFields("sql", req.GetSql()); err != nil {
		return nil, err
	}
	start := time.Now()
	sum, err := s.st.RunSQL(ctx, req.GetSql())
	if err != nil {
		return nil, toStatus(err)
	}
	return &mrswarmv1.RunSQLResponse{Result: summaryToProto(sum), Duration: durationpb.New(time.Since(start))}, nil
}

func (s *resultServer) GetResult(ctx context.Context, req *mrswarmv1.GetResultRequest) (*mrswarmv1.ResultSummary, error) {
	if err := requireFields("handle", req.GetHandle()); err != nil {
		return nil, err
	}
	sum, err := s.st.Result(ctx, req.GetHandle())
	if err != nil {
		return nil, toStatus(err)
	}
	return summaryToProto(sum), nil
}

func (s *resultServer) ListResults(ctx context.Context, _ *mrswarmv1.ListResultsRequest) (*mrswarmv1.ListResultsResponse, error) {
	sums, err := s.st.Results(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &mrswarmv1.ListResultsResponse{Results: make([]*mrswarmv1.ResultSummary, len(sums))}
	for i, sum := range sums {
		out.Results[i] = summaryToProto(sum)
	}
	return out, nil
}

func (s *resultServer) DeleteResult(ctx context.Context, req *mrswarmv1.DeleteResultRequest) (*mrswarmv1.DeleteResultResponse, error) {
	if err := requireFields("handle", req.GetHandle()); err != nil {
		return nil, err
	}
	if err := s.st.DeleteResult(ctx, req.GetHandle()); err != nil {
		return nil, toStatus(err)
	}
	return &mrswarmv1.DeleteResultResponse{}, nil
}

func (s *resultServer) PinResult(ctx context.Context, req *mrswarmv1.PinResultRequest) (*mrswarmv1.PinResultResponse, error) {
	if err := requireFields("handle", req.GetHandle()); err != nil {
		return nil, err
	}
	if err := s.st.SetPinned(ctx, req.GetHandle(), true); err != nil {
		return nil, toStatus(err)
	}
	return &mrswarmv1.PinResultResponse{}, nil
}

func (s *resultServer) UnpinResult(ctx context.Context, req *mrswarmv1.UnpinResultRequest) (*mrswarmv1.UnpinResultResponse, error) {
	if err := requireFields("handle", req.GetHandle()); err != nil {
		return nil, err
	}
	if err := s.st.SetPinned(ctx, req.GetHandle(), false); err != nil {
		return nil, toStatus(err)
	}
	return &mrswarmv1.UnpinResultResponse{}, nil
}

func (s *resultServer) GetResultPage(ctx context.Context, req *mrswarmv1.GetResultPageRequest) (*mrswarmv1.ResultPage, error) {
	if err := requireFields("handle", req.GetHandle()); err != nil {
		return nil, err
	}
	if req.GetOffset() < 0 {
		return nil, invalidf("offset %d is negative", req.GetOffset())
	}
	limit, err := s.rows("limit", req.GetLimit(), defaultPageRows)
	if err != nil {
		return nil, err
	}
	csv, err := isCSV(req.GetFormat())
	if err != nil {
		return nil, err
	}
	p, err := s.st.GetPage(ctx, req.GetHandle(), req.GetOffset(), limit, csv)
	if err != nil {
		return nil, toStatus(err)
	}
	return pageToProto(p), nil
}

func (s *resultServer) StreamResult(req *mrswarmv1.StreamResultRequest, stream mrswarmv1.ResultService_StreamResultServer) error {
	if err := requireFields("handle", req.GetHandle()); err != nil {
		return err
	}
	chunk, err := s.rows("chunk_rows", req.GetChunkRows(), defaultChunkRows)
	if err != nil {
		return err
	}
	csv, err := isCSV(req.GetFormat())
	if err != nil {
		return err
	}
	err = s.st.StreamRows(stream.Context(), req.GetHandle(), chunk, csv, func(p store.Page) error {
		return stream.Send(pageToProto(p))
	})
	return toStatus(err)
}

// rows checks a row count field: 0 means def, negative or over the maximum page
// size is InvalidArgument.
func (s *resultServer) rows(field string, n int32, def int) (int, error) {
	switch {
	case n == 0:
		return min(def, s.maxPageSize), nil
	case n < 0:
		return 0, invalidf("%s %d is negative", field, n)
	case int(n) > s.maxPageSize:
		return 0, invalidf("%s %d is over the maximum page size %d", field, n, s.maxPageSize)
	}
	return int(n), nil
}

func isCSV(f mrswarmv1.PageFormat) (bool, error) {
	switch f {
	case mrswarmv1.PageFormat_PAGE_FORMAT_UNSPECIFIED, mrswarmv1.PageFormat_PAGE_FORMAT_JSON:
		return false, nil
	case mrswarmv1.PageFormat_PAGE_FORMAT_CSV:
		return true, nil
	}
	return false, invalidf("unknown page format %d", f)
}
