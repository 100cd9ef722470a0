// Package store keeps mrswarm's data in one embedded DuckDB database: datasets
// loaded from CSV, Parquet or JSON, result tables named by handles, and the run
// tables (runs, steps, events) that the pipeline's run log writes in batches
// through [Store.WriteRunBatch] and reads back.
package store

import (
	"errors"
	"time"
)

// Sentinel errors. Functions wrap them with %w and context; callers test with errors.Is.
var (
	// ErrNotFound: unknown dataset, handle or run.
	ErrNotFound = errors.New("store: not found")
	// ErrInvalid: bad input (malformed file, bad SQL, bad name, bad page size...).
	ErrInvalid = errors.New("store: invalid argument")
	// ErrPermission: a path outside the data root.
	ErrPermission = errors.New("store: permission denied")
	// ErrPrecondition: the operation cannot run in the current state (e.g. a missing role).
	ErrPrecondition = errors.New("store: failed precondition")
	// ErrLimit: over a configured limit.
	ErrLimit = errors.New("store: limit exceeded")
	// ErrTimeout: a statement ran past the statement timeout.
	ErrTimeout = errors.New("store: statement timeout")
)

// Role is the semantic role of a column.
type Role string

// The column roles that tools address.
const (
	RoleDate     Role = "date"
	RoleRegion   Role = "region"
	RoleCountry  Role = "country"
	RoleBrand    Role = "brand"
	RoleCategory Role = "category"
	RoleUnits    Role = "units"
	RoleRevenue  Role = "revenue"
	RoleCost     Role = "cost"
	RoleProfit   Role = "profit"
	RoleMargin   Role = "margin"
	RolePrice    Role = "price"
	RoleStore    Role = "store"

	// Marketing channel data: ad spend and its funnel.
	RoleChannel     Role = "channel"
	RoleCampaign    Role = "campaign"
	RoleSpend       Role = "spend"
	RoleImpressions Role = "impressions"
	RoleClicks      Role = "clicks"
	RoleConversions Role = "conversions"
)

// Roles lists every role in a fixed order.
var Roles = []Role{RoleDate, RoleRegion, RoleCountry, RoleBrand, RoleCategory, RoleUnits,
	RoleRevenue, RoleCost, RoleProfit, RoleMargin, RolePrice, RoleStore,
	RoleChannel, RoleCampaign, RoleSpend, RoleImpressions, RoleClicks, RoleConversions}

// Format is a dataset file format.
type Format string

// Supported formats. FormatAuto infers from the file extension.
const (
	FormatAuto    Format = ""
	FormatCSV     Format = "csv"
	FormatParquet Format = "parquet"
	FormatJSON    Format = "json"
	FormatXLSX    Format = "xlsx"
)

// Column is a column name, its DuckDB type and its role (may be empty). Columns
// of a dataset also say how sure the role is, why, and what the load converted.
type Column struct {
	Name string
	Type string
	Role Role
	// RoleConfidence (0..1] and RoleReason explain Role; 1 and "set by the user" for overrides.
	RoleConfidence float64     `json:",omitempty"`
	RoleReason     string      `json:",omitempty"`
	Conversion     *Conversion `json:",omitempty"`
}

// Conversion is what a load did to a text column holding numbers or dates as
// people write them ("$4,968.25", "842,4", "31/01/2024", "2024-W05").
type Conversion struct {
	Column string
	From   string // the type the reader saw, e.g. "VARCHAR"
	To     string // DOUBLE, DATE or TIMESTAMP
	Detail string // what was removed or how it was read, e.g. "removed $; thousands ','"
	Unit   string `json:",omitempty"` // "%" or a currency kept as metadata
	// Failed counts non-blank cells that could not be converted (now NULL);
	// FailedRows are the first of them as 1-based data rows (line n+1 of a CSV
	// with a header), with their text in FailedValues.
	Failed       int64    `json:",omitempty"`
	FailedRows   []int64  `json:",omitempty"`
	FailedValues []string `json:",omitempty"`
	// Warning says what a user should check (ambiguous dates, bad cells).
	Warning string `json:",omitempty"`
}

// RoleDetail is one assigned role with its column, confidence and reason.
type RoleDetail struct {
	Role       Role
	Column     string
	Confidence float64
	Reason     string
}

// Dataset describes a loaded dataset. Its table in its tenant's user SQL is named Name.
type Dataset struct {
	Tenant       string // owner; its table is [Dataset.Table]
	Name         string
	Fingerprint  string // hex SHA-256 of the content
	Rows         int64
	Bytes        int64
	Columns      []Column
	Roles        map[Role]string // role -> column name
	LoadedAt     time.Time
	LoadDuration time.Duration
	Source       string // path relative to the data root, or "upload"
	Format       Format
}

// Conversions lists what the load converted, in column order.
func (d Dataset) Conversions() []Conversion {
	var out []Conversion
	for _, c := range d.Columns {
		if c.Conversion != nil {
			out = append(out, *c.Conversion)
		}
	}
	return out
}

// Warnings lists what a user should check about the load, one line each.
func (d Dataset) Warnings() []string {
	var out []string
	for _, c := range d.Conversions() {
		if c.Warning != "" {
			out = append(out, c.Column+": "+c.Warning)
		}
	}
	return out
}

// RoleDetails lists the assigned roles in role order with confidence and reason.
func (d Dataset) RoleDetails() []RoleDetail {
	var out []RoleDetail
	for _, r := range Roles {
		col, ok := d.Column(r)
		if !ok {
			continue
		}
		rd := RoleDetail{Role: r, Column: col, Confidence: 1, Reason: "set by the user"}
		for _, c := range d.Columns {
			if c.Name == col && c.Role == r && c.RoleReason != "" {
				rd.Confidence, rd.Reason = c.RoleConfidence, c.RoleReason
			}
		}
		out = append(out, rd)
	}
	return out
}

// Column returns the column that has role r, and whether there is one.
func (d Dataset) Column(r Role) (string, bool) {
	c, ok := d.Roles[r]
	return c, ok && c != ""
}

// LoadResult is what a load did.
type LoadResult struct {
	Dataset   Dataset
	CacheHit  bool          // identical content was already loaded under this name
	Duration  time.Duration // wall time of the call
	BytesRead int64
}

// ColumnStats are key numbers of one numeric result column.
type ColumnStats struct {
	Column              string
	Min, Max, Mean, Sum float64
	Nulls               int64
}

// Summary is the bounded description of a stored result.
type Summary struct {
	Handle    string // e.g. "res_3f9a1c2e"
	Source    string // "sql", "tool:<name>", "step:<run>/<step>", "report"
	Dataset   string
	Rows      int64
	Columns   []Column
	Head      [][]any // first rows, JSON-friendly values (string, float64, int64, bool, nil)
	Stats     []ColumnStats
	Bytes     int64 // estimated size of the stored rows, for the retention budget
	CreatedAt time.Time
	Text      string // the summary as bounded text for a prompt (under ~1 KB)
	Pinned    bool   // kept by retention whatever its budget ([Store.SetPinned])
}

// Page is a slice of a result's rows.
type Page struct {
	Handle     string
	Offset     int64
	Columns    []Column
	Rows       [][]any // JSON-friendly values, column order
	CSV        string  // set instead of Rows when CSV was asked for
	TotalRows  int64
	NextOffset int64
	Done       bool
}

// Options configure a Store.
type Options struct {
	// DataRoot confines file loads and user SQL file access. Required.
	DataRoot string
	// StatementTimeout bounds user SQL and tool queries (default 30s).
	StatementTimeout time.Duration
	// MaxPageSize is the largest page GetPage serves (default 10000).
	MaxPageSize int
	// HeadRows is the number of rows in a summary (default 5).
	HeadRows int
	// StagingDir holds uploads while they load (default: "<db path>.staging", or a
	// temporary folder for an in-memory database). User SQL may read it too.
	StagingDir string
	// MemoryLimit caps DuckDB's memory in bytes (0: DuckDB's default, 80% of
	// RAM). Larger work spills to a temporary folder inside the staging folder
	// or fails with ErrLimit; user SQL is also stopped when the process's
	// resident memory passes 1.5 times the limit plus 256 MiB.
	MemoryLimit int64
	// LoadTimeout bounds one dataset load (default 10m).
	LoadTimeout time.Duration
	// Retention bounds the stored results (default: keep every result).
	Retention Retention
	// RecycleAfter is how far the C heap may grow, in bytes, before the store
	// opens its file in a new DuckDB instance, the next time it is idle
	// (default DefaultRecycleAfter; negative: never). DuckDB's buffer pool keeps
	// bookkeeping of finished queries that only a new instance drops
	// (instance.go). A file-backed store only.
	RecycleAfter int64
}
