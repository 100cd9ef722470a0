package server

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/sql/store"
)

// errLoadDone tells the receive loop that the loader stopped reading.
var errLoadDone = errors.New("load finished")

// UploadDataset reads a header, then pipes the chunks into store.LoadReader.
func (s *datasetServer) UploadDataset(stream mrswarmv1.DatasetService_UploadDatasetServer) error {
	first, err := stream.Recv()
	if err != nil {
		return toStatus(err)
	}
	h := first.GetHeader()
	if h == nil {
		return invalidf("the first upload message must be a header")
	}
	if err := requireFields("header.name", h.GetName()); err != nil {
		return err
	}
	f, err := formatToStore(h.GetFormat())
	if err != nil {
		return err
	}
	roles, err := rolesToStore(h.GetRoles())
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	type loaded struct {
		res store.LoadResult
		err error
	}
	done := make(chan loaded, 1)
	ctx := stream.Context()
	go func() {
		res, err := s.st.LoadReader(ctx, h.GetName(), h.GetFilename(), f, pr, roles, readOptionsToStore(h.GetReadOptions())...)
		pr.CloseWithError(errLoadDone)
		done <- loaded{res, err}
	}()
	recvErr := s.pipeChunks(stream, pw)
	pw.CloseWithError(recvErr) // nil closes with io.EOF
	l := <-done
	if recvErr != nil {
		return toStatus(recvErr)
	}
	if l.err != nil {
		return toStatus(l.err)
	}
	s.loaded(ctx, l.res)
	return stream.SendAndClose(loadResultToProto(l.res))
}

// pipeChunks copies chunks into w until the client finishes. It returns nil at the
// end of the stream or when the loader stopped reading (its error wins then).
func (s *datasetServer) pipeChunks(stream mrswarmv1.DatasetService_UploadDatasetServer, w io.Writer) error {
	var n int64
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if msg.GetHeader() != nil {
			return invalidf("a second header after %d bytes: send the header once, then chunks", n)
		}
		n += int64(len(msg.GetChunk()))
		if n > s.maxUpload {
			return status.Error(codes.ResourceExhausted, fmt.Sprintf("upload exceeds the limit of %d bytes", s.maxUpload))
		}
		if _, err := w.Write(msg.GetChunk()); err != nil {
			return nil // the loader stopped reading; its result says why
		}
	}
}
