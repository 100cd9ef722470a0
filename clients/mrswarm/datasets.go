package mrswarm

import (
	"context"
	"errors"
	"fmt"
	"io"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// UploadChunkSize is the size of the chunks [Client.UploadDataset] sends.
const UploadChunkSize = 256 << 10

// DatasetOption configures [Client.LoadDataset] and [Client.UploadDataset].
type DatasetOption func(*datasetOpts)

type datasetOpts struct {
	format mrswarmv1.Format
	roles  map[string]string
	read   *mrswarmv1.ReadOptions
}

// WithFormat sets the file format instead of inferring it from the file name.
func WithFormat(f mrswarmv1.Format) DatasetOption {
	return func(o *datasetOpts) { o.format = f }
}

// WithRoles overrides inferred column roles (role -> column name).
func WithRoles(roles map[string]string) DatasetOption {
	return func(o *datasetOpts) { o.roles = roles }
}

// WithReadOptions sets how the file is read: an Excel sheet, the decimal
// separator ("." or ","), the order of ambiguous dates ("dmy" or "mdy").
func WithReadOptions(r *mrswarmv1.ReadOptions) DatasetOption {
	return func(o *datasetOpts) { o.read = r }
}

func datasetOptions(opts []DatasetOption) datasetOpts {
	var o datasetOpts
	for _, f := range opts {
		f(&o)
	}
	return o
}

// LoadDataset loads the file at path (relative to the server's data root) as
// dataset name. Loading identical content again is a cache hit.
func (c *Client) LoadDataset(ctx context.Context, name, path string, opts ...DatasetOption) (*mrswarmv1.LoadDatasetResponse, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	o := datasetOptions(opts)
	return c.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{
		Name: name, Path: path, Format: o.format, Roles: o.roles, ReadOptions: o.read,
	})
}

// UploadDataset streams the bytes of r to the server as dataset name, in
// chunks of [UploadChunkSize]. filename is used to infer the format.
func (c *Client) UploadDataset(ctx context.Context, name, filename string, r io.Reader, opts ...DatasetOption) (*mrswarmv1.LoadDatasetResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.datasets.UploadDataset(ctx)
	if err != nil {
		return nil, err
	}
	o := datasetOptions(opts)
	header := &mrswarmv1.UploadHeader{Name: name, Format: o.format, Filename: filename, Roles: o.roles, ReadOptions: o.read}
	if err := stream.Send(&mrswarmv1.UploadDatasetRequest{Part: &mrswarmv1.UploadDatasetRequest_Header{Header: header}}); err != nil {
		return nil, uploadErr(stream.CloseAndRecv, err)
	}
	buf := make([]byte, UploadChunkSize)
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			chunk := &mrswarmv1.UploadDatasetRequest{Part: &mrswarmv1.UploadDatasetRequest_Chunk{Chunk: buf[:n]}}
			if err := stream.Send(chunk); err != nil {
				return nil, uploadErr(stream.CloseAndRecv, err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("upload dataset %q: read: %w", name, rerr)
		}
	}
	return stream.CloseAndRecv()
}

// uploadErr returns the server's status when Send failed because the server
// already ended the stream (Send then reports only io.EOF).
func uploadErr(closeAndRecv func() (*mrswarmv1.LoadDatasetResponse, error), err error) error {
	if !errors.Is(err, io.EOF) {
		return err
	}
	if _, serr := closeAndRecv(); serr != nil {
		return serr
	}
	return err
}

// Datasets lists the loaded datasets.
func (c *Client) Datasets(ctx context.Context) ([]*mrswarmv1.Dataset, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	resp, err := c.datasets.ListDatasets(ctx, &mrswarmv1.ListDatasetsRequest{})
	return resp.GetDatasets(), err
}

// Dataset returns one dataset with its columns and roles.
func (c *Client) Dataset(ctx context.Context, name string) (*mrswarmv1.Dataset, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.datasets.GetDataset(ctx, &mrswarmv1.GetDatasetRequest{Name: name})
}

// DropDataset removes a dataset.
func (c *Client) DropDataset(ctx context.Context, name string) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.datasets.DropDataset(ctx, &mrswarmv1.DropDatasetRequest{Name: name})
	return err
}

// SetRoles overrides column roles (role -> column name; an empty column
// clears the role) and returns the updated dataset.
func (c *Client) SetRoles(ctx context.Context, name string, roles map[string]string) (*mrswarmv1.Dataset, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.datasets.SetColumnRoles(ctx, &mrswarmv1.SetColumnRolesRequest{Name: name, Roles: roles})
}
