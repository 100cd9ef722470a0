package server

import (
	"context"
	"log/slog"

	"github.com/mrswarm/mrswarm/internal/metrics"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// datasetServer implements mrswarmv1.DatasetServiceServer over the store.
type datasetServer struct {
	mrswarmv1.UnimplementedDatasetServiceServer
	st        *store.Store
	tools     *tools.Catalog // prepares a loaded dataset's first tool call
	maxUpload int64
	m         *metrics.Metrics // counts loads: hits and misses
	log       *slog.Logger
}

func newDatasetServer(st *store.Store, catalog *tools.Catalog, maxUpload int64, m *metrics.Metrics, log *slog.Logger) mrswarmv1.DatasetServiceServer {
	return &datasetServer{st: st, tools: catalog, maxUpload: maxUpload, m: m, log: log}
}

func (s *datasetServer) LoadDataset(ctx context.Context, req *mrswarmv1.LoadDatasetRequest) (*mrswarmv1.LoadDatasetResponse, error) {
	if err := requireFields("name", req.GetName(), "path", req.GetPath()); err != nil {
		return nil, err
	}
	f, err := formatToStore(req.GetFormat())
	if err != nil {
		return nil, err
	}
	roles, err := rolesToStore(req.GetRoles())
	if err != nil {
		return nil, err
	}
	res, err := s.st.LoadFile(ctx, req.GetName(), req.GetPath(), f, roles, readOptionsToStore(req.GetReadOptions())...)
	if err != nil {
		return nil, toStatus(fileHint(err, s.st.DataRoot()))
	}
	s.loaded(ctx, res)
	return loadResultToProto(res), nil
}

// loaded counts a load and derives what the first tool call on the dataset
// would read from every row (tools.Catalog.Prepare), so that the call is as
// quick as later ones. A cache hit kept the content, so what was derived
// from it is kept too. That only saves work: when it fails, the load stands,
// the failure is logged and the first call derives them.
func (s *datasetServer) loaded(ctx context.Context, res store.LoadResult) {
	s.m.DatasetLoad(res.CacheHit, res.Duration)
	if res.CacheHit {
		return
	}
	if err := s.tools.Prepare(ctx, res.Dataset.Name); err != nil {
		s.log.WarnContext(ctx, "prepare the first tool call", "dataset", res.Dataset.Name, "err", err)
	}
}

func (s *datasetServer) ListDatasets(ctx context.Context, _ *mrswarmv1.ListDatasetsRequest) (*mrswarmv1.ListDatasetsResponse, error) {
	ds, err := s.st.Datasets(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &mrswarmv1.ListDatasetsResponse{Datasets: make([]*mrswarmv1.Dataset, len(ds))}
	for i, d := range ds {
		out.Datasets[i] = datasetToProto(d)
	}
	return out, nil
}

func (s *datasetServer) GetDataset(ctx context.Context, req *mrswarmv1.GetDatasetRequest) (*mrswarmv1.Dataset, error) {
	if err := requireFields("name", req.GetName()); err != nil {
		return nil, err
	}
	d, err := s.st.Dataset(ctx, req.GetName())
	if err != nil {
		return nil, toStatus(datasetHint(ctx, err, s.st))
	}
	return datasetToProto(d), nil
}

func (s *datasetServer) DropDataset(ctx context.Context, req *mrswarmv1.DropDatasetRequest) (*mrswarmv1.DropDatasetResponse, error) {
	if err := requireFields("name", req.GetName()); err != nil {
		return nil, err
	}
	if err := s.st.DropDataset(ctx, req.GetName()); err != nil {
		return nil, toStatus(datasetHint(ctx, err, s.st))
	}
	return &mrswarmv1.DropDatasetResponse{}, nil
}

func (s *datasetServer) SetColumnRoles(ctx context.Context, req *mrswarmv1.SetColumnRolesRequest) (*mrswarmv1.Dataset, error) {
	if err := requireFields("name", req.GetName()); err != nil {
		return nil, err
	}
	if len(req.GetRoles()) == 0 {
		return nil, invalidf("roles is empty: give role -> column pairs")
	}
	roles, err := rolesToStore(req.GetRoles())
	if err != nil {
		return nil, err
	}
	d, err := s.st.SetRoles(ctx, req.GetName(), roles)
	if err != nil {
		return nil, toStatus(err)
	}
	return datasetToProto(d), nil
}

// requireFields takes name, value pairs and names the first empty field.
func requireFields(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return invalidf("%s is required", pairs[i])
		}
	}
	return nil
}
