package server

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/sql/store"
)

// This file converts the store's types to and from their protos.

func formatToStore(f mrswarmv1.Format) (store.Format, error) {
	switch f {
	case mrswarmv1.Format_FORMAT_UNSPECIFIED:
		return store.FormatAuto, nil
	case mrswarmv1.Format_FORMAT_CSV:
		return store.FormatCSV, nil
	case mrswarmv1.Format_FORMAT_PARQUET:
		return store.FormatParquet, nil
	case mrswarmv1.Format_FORMAT_JSON:
		return store.FormatJSON, nil
	case mrswarmv1.Format_FORMAT_XLSX:
		return store.FormatXLSX, nil
	}
	return "", invalidf("unknown format %d", f)
}

func formatToProto(f store.Format) mrswarmv1.Format {
	switch f {
	case store.FormatCSV:
		return mrswarmv1.Format_FORMAT_CSV
	case store.FormatParquet:
		return mrswarmv1.Format_FORMAT_PARQUET
	case store.FormatJSON:
		return mrswarmv1.Format_FORMAT_JSON
	case store.FormatXLSX:
		return mrswarmv1.Format_FORMAT_XLSX
	}
	return mrswarmv1.Format_FORMAT_UNSPECIFIED
}

// rolesToStore checks role names: an unknown role is InvalidArgument.
func rolesToStore(m map[string]string) (map[store.Role]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	known := make(map[store.Role]bool, len(store.Roles))
	for _, r := range store.Roles {
		known[r] = true
	}
	out := make(map[store.Role]string, len(m))
	for k, v := range m {
		if !known[store.Role(k)] {
			return nil, invalidf("unknown role %q (known: %v)", k, store.Roles)
		}
		out[store.Role(k)] = v
	}
	return out, nil
}

func columnsToProto(cols []store.Column) []*mrswarmv1.Column {
	out := make([]*mrswarmv1.Column, len(cols))
	for i, c := range cols {
		out[i] = &mrswarmv1.Column{Name: c.Name, Type: c.Type, Role: string(c.Role)}
	}
	return out
}

func datasetToProto(d store.Dataset) *mrswarmv1.Dataset {
	roles := make(map[string]string, len(d.Roles))
	for r, c := range d.Roles {
		roles[string(r)] = c
	}
	return &mrswarmv1.Dataset{
		Name:         d.Name,
		Fingerprint:  d.Fingerprint,
		RowCount:     d.Rows,
		Bytes:        d.Bytes,
		Columns:      columnsToProto(d.Columns),
		Roles:        roles,
		LoadedAt:     timeToProto(d.LoadedAt),
		LoadDuration: durationpb.New(d.LoadDuration),
		Source:       d.Source,
		Format:       formatToProto(d.Format),
		RoleDetails:  roleDetailsToProto(d.RoleDetails()),
		Conversions:  conversionsToProto(d.Conversions()),
		Warnings:     d.Warnings(),
	}
}

func roleDetailsToProto(rs []store.RoleDetail) []*mrswarmv1.RoleDetail {
	out := make([]*mrswarmv1.RoleDetail, len(rs))
	for i, r := range rs {
		out[i] = &mrswarmv1.RoleDetail{Role: string(r.Role), Column: r.Column, Confidence: r.Confidence, Reason: r.Reason}
	}
	return out
}

func conversionsToProto(cs []store.Conversion) []*mrswarmv1.Conversion {
	out := make([]*mrswarmv1.Conversion, len(cs))
	for i, c := range cs {
		out[i] = &mrswarmv1.Conversion{Column: c.Column, FromType: c.From, ToType: c.To, Detail: c.Detail,
			Unit: c.Unit, Failed: c.Failed, FailedRows: c.FailedRows, FailedValues: c.FailedValues, Warning: c.Warning}
	}
	return out
}

// readOptionsToStore turns the request's read options into store options.
func readOptionsToStore(o *mrswarmv1.ReadOptions) []store.ReadOption {
	var out []store.ReadOption
	if o.GetSheet() != "" {
		out = append(out, store.WithSheet(o.GetSheet()))
	}
	if o.GetDecimal() != "" {
		out = append(out, store.WithDecimal(o.GetDecimal()))
	}
	if o.GetDateOrder() != "" {
		out = append(out, store.WithDateOrder(o.GetDateOrder()))
	}
	return out
}

func loadResultToProto(r store.LoadResult) *mrswarmv1.LoadDatasetResponse {
	return &mrswarmv1.LoadDatasetResponse{
		Dataset:   datasetToProto(r.Dataset),
		CacheHit:  r.CacheHit,
		Duration:  durationpb.New(r.Duration),
		BytesRead: r.BytesRead,
	}
}

func summaryToProto(s store.Summary) *mrswarmv1.ResultSummary {
	stats := make([]*mrswarmv1.ColumnStats, len(s.Stats))
	for i, c := range s.Stats {
		stats[i] = &mrswarmv1.ColumnStats{Column: c.Column, Min: c.Min, Max: c.Max, Mean: c.Mean, Sum: c.Sum, Nulls: c.Nulls}
	}
	return &mrswarmv1.ResultSummary{
		Handle:    s.Handle,
		Source:    s.Source,
		RowCount:  s.Rows,
		Columns:   columnsToProto(s.Columns),
		Head:      rowsToProto(s.Head),
		Stats:     stats,
		Text:      s.Text,
		CreatedAt: timeToProto(s.CreatedAt),
		Dataset:   s.Dataset,
		Pinned:    s.Pinned,
	}
}

func pageToProto(p store.Page) *mrswarmv1.ResultPage {
	return &mrswarmv1.ResultPage{
		Handle:     p.Handle,
		Offset:     p.Offset,
		Columns:    columnsToProto(p.Columns),
		Rows:       rowsToProto(p.Rows),
		Csv:        p.CSV,
		TotalRows:  p.TotalRows,
		NextOffset: p.NextOffset,
		Done:       p.Done,
	}
}

// rowsToProto converts JSON-friendly rows; a value structpb cannot hold
// (it should not happen) is sent as its text rather than failing the call.
func rowsToProto(rows [][]any) []*structpb.ListValue {
	out := make([]*structpb.ListValue, len(rows))
	for i, row := range rows {
		vals := make([]*structpb.Value, len(row))
		for j, v := range row {
			pv, err := structpb.NewValue(v)
			if err != nil {
				pv = structpb.NewStringValue(fmt.Sprint(v))
			}
			vals[j] = pv
		}
		out[i] = &structpb.ListValue{Values: vals}
	}
	return out
}

// timeToProto leaves zero times unset.
func timeToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
