package mrswarm

import (
	"context"
	"errors"
	"io"
	"iter"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// Page is one block of rows of a stored result, as Go values: nil, bool,
// float64, string, []any or map[string]any (the JSON encoding of each cell).
type Page struct {
	Handle  string
	Offset  int64 // index of the first row of this page
	Total   int64 // rows in the whole result
	Columns []*mrswarmv1.Column
	Rows    [][]any
}

func pageOf(p *mrswarmv1.ResultPage) Page {
	rows := make([][]any, len(p.GetRows()))
	for i, r := range p.GetRows() {
		rows[i] = r.AsSlice()
	}
	return Page{Handle: p.GetHandle(), Offset: p.GetOffset(), Total: p.GetTotalRows(), Columns: p.GetColumns(), Rows: rows}
}

// Rows iterates over the rows of the result named by handle, fetching pages
// of pageSize rows (0 means the server default) with GetResultPage. The
// iteration stops after the last page or at the first error.
func (c *Client) Rows(ctx context.Context, handle string, pageSize int) iter.Seq2[Page, error] {
	return func(yield func(Page, error) bool) {
		var offset int64
		for {
			p, err := c.Page(ctx, handle, offset, pageSize)
			if err != nil {
				yield(Page{}, err)
				return
			}
			if len(p.GetRows()) > 0 && !yield(pageOf(p), nil) {
				return
			}
			if p.GetDone() || p.GetNextOffset() <= offset {
				return
			}
			offset = p.GetNextOffset()
		}
	}
}

// Page returns rows [offset, offset+limit) of a result as JSON values.
func (c *Client) Page(ctx context.Context, handle string, offset int64, limit int) (*mrswarmv1.ResultPage, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{
		Handle: handle, Offset: offset, Limit: int32(limit), Format: mrswarmv1.PageFormat_PAGE_FORMAT_JSON,
	})
}

// CSVPage returns rows [offset, offset+limit) of a result as CSV text with a
// header line, in the page's Csv field.
func (c *Client) CSVPage(ctx context.Context, handle string, offset int64, limit int) (*mrswarmv1.ResultPage, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	return c.results.GetResultPage(ctx, &mrswarmv1.GetResultPageRequest{
		Handle: handle, Offset: offset, Limit: int32(limit), Format: mrswarmv1.PageFormat_PAGE_FORMAT_CSV,
	})
}

// StreamRows iterates over every row of a result in chunks of chunkRows
// (0 means the server default) sent by one StreamResult server stream.
func (c *Client) StreamRows(ctx context.Context, handle string, chunkRows int) iter.Seq2[Page, error] {
	return func(yield func(Page, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.results.StreamResult(ctx, &mrswarmv1.StreamResultRequest{
			Handle: handle, ChunkRows: int32(chunkRows), Format: mrswarmv1.PageFormat_PAGE_FORMAT_JSON,
		})
		if err != nil {
			yield(Page{}, err)
			return
		}
		for {
			p, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Page{}, err)
				return
			}
			if !yield(pageOf(p), nil) {
				return
			}
		}
	}
}
