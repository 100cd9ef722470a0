package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// cmdLoad loads a file under the server's data root: mrswarm load NAME PATH.
func cmdLoad(ctx context.Context, args []string, out, errOut io.Writer) error {
	return loadOrUpload(ctx, "load", args, out, errOut)
}

// cmdUpload streams a local file to the server: mrswarm upload NAME FILE.
func cmdUpload(ctx context.Context, args []string, out, errOut io.Writer) error {
	return loadOrUpload(ctx, "upload", args, out, errOut)
}

func loadOrUpload(ctx context.Context, name string, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet(name, errOut)
	format := fs.String("format", "", "file `format`: csv, parquet, json or xlsx (default: from the extension)")
	roles := rolesFlag{}
	fs.Var(roles, "role", "column role override `role=column` (repeatable)")
	read := &mrswarmv1.ReadOptions{}
	fs.StringVar(&read.Sheet, "sheet", "", "Excel `sheet` to read (default: the first)")
	fs.StringVar(&read.Decimal, "decimal", "", "decimal `separator` of text numbers: . or , (default: detected)")
	fs.StringVar(&read.DateOrder, "date-order", "", "`order` of ambiguous dates like 01/02/2024: dmy or mdy (default: from the values)")
	pos, err := parseArgs(fs, args, 2, 2, "NAME PATH [--format csv] [--role revenue=net_sales ...] [--decimal ,] [--date-order dmy] [--sheet NAME]")
	if err != nil {
		return err
	}
	f, err := parseFormat(*format)
	if err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	opts := []mrswarm.DatasetOption{mrswarm.WithFormat(f), mrswarm.WithRoles(roles), mrswarm.WithReadOptions(read)}
	var resp *mrswarmv1.LoadDatasetResponse
	if name == "load" {
		resp, err = c.LoadDataset(ctx, pos[0], pos[1], opts...)
	} else {
		resp, err = uploadFile(ctx, c, pos[0], pos[1], opts)
	}
	if err != nil {
		return err
	}
	printLoad(out, resp)
	return nil
}

func uploadFile(ctx context.Context, c *mrswarm.Client, name, path string, opts []mrswarm.DatasetOption) (*mrswarmv1.LoadDatasetResponse, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return c.UploadDataset(ctx, name, filepath.Base(path), f, opts...)
}

func parseFormat(s string) (mrswarmv1.Format, error) {
	if s == "" {
		return mrswarmv1.Format_FORMAT_UNSPECIFIED, nil
	}
	v, ok := mrswarmv1.Format_value["FORMAT_"+strings.ToUpper(s)]
	if !ok {
		return 0, usageError{fmt.Errorf("format %q: want csv, parquet, json or xlsx", s)}
	}
	return mrswarmv1.Format(v), nil
}

func printLoad(out io.Writer, r *mrswarmv1.LoadDatasetResponse) {
	d := r.GetDataset()
	how := "loaded"
	if r.GetCacheHit() {
		how = "cache hit (same content already loaded)"
	}
	fmt.Fprintf(out, "dataset %s: %d rows, %d columns, %s in %v (%d bytes read)\n",
		d.GetName(), d.GetRowCount(), len(d.GetColumns()), how, r.GetDuration().AsDuration(), r.GetBytesRead())
	fmt.Fprintf(out, "fingerprint %s\n", d.GetFingerprint())
	printColumns(out, d)
	printRoles(out, d)
	printConversions(out, d)
}

// printRoles lists each role with its column, confidence and reason.
func printRoles(out io.Writer, d *mrswarmv1.Dataset) {
	if len(d.GetRoleDetails()) == 0 {
		return
	}
	fmt.Fprintln(out, "\nroles (override with --role role=column):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tCOLUMN\tCONFIDENCE\tREASON")
	for _, r := range d.GetRoleDetails() {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\n", r.GetRole(), r.GetColumn(), r.GetConfidence(), r.GetReason())
	}
	tw.Flush()
}

// printConversions lists what the load converted and what to check.
func printConversions(out io.Writer, d *mrswarmv1.Dataset) {
	if len(d.GetConversions()) > 0 {
		fmt.Fprintln(out, "\nconversions:")
		for _, c := range d.GetConversions() {
			fmt.Fprintf(out, "  %s: %s -> %s: %s\n", c.GetColumn(), c.GetFromType(), c.GetToType(), c.GetDetail())
		}
	}
	if len(d.GetWarnings()) > 0 {
		fmt.Fprintln(out, "\nwarnings:")
		for _, w := range d.GetWarnings() {
			fmt.Fprintf(out, "  %s\n", w)
		}
	}
}

func printColumns(out io.Writer, d *mrswarmv1.Dataset) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tROLE")
	for _, col := range d.GetColumns() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", col.GetName(), col.GetType(), col.GetRole())
	}
	tw.Flush()
}

// cmdDatasets lists the loaded datasets: mrswarm datasets.
func cmdDatasets(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("datasets", errOut)
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	ds, err := c.Datasets(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROWS\tCOLUMNS\tSOURCE\tLOADED\tFINGERPRINT")
	for _, d := range ds {
		fp := d.GetFingerprint()
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%.12s\n", d.GetName(), d.GetRowCount(), len(d.GetColumns()),
			d.GetSource(), d.GetLoadedAt().AsTime().Local().Format("2006-01-02 15:04:05"), fp)
	}
	return tw.Flush()
}

// cmdTools lists the tools for a dataset: mrswarm tools DATASET.
func cmdTools(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("tools", errOut)
	schema := fs.Bool("schema", false, "print each tool's argument JSON Schema")
	pos, err := parseArgs(fs, args, 1, 1, "DATASET [--schema]")
	if err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	tools, err := c.Tools(ctx, pos[0])
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tAVAILABLE\tROLES\tDESCRIPTION")
	for _, t := range tools {
		avail := "yes"
		if !t.GetAvailable() {
			avail = "no: " + t.GetUnavailableReason()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.GetName(), avail, strings.Join(t.GetRequiredRoles(), ","), firstLine(t.GetDescription()))
		if *schema {
			b, _ := t.GetArgsSchema().MarshalJSON()
			fmt.Fprintf(tw, "\t\t\t%s\n", b)
		}
	}
	return tw.Flush()
}

// cmdCall calls a tool: mrswarm call DATASET TOOL '{json}'.
func cmdCall(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("call", errOut)
	limit := fs.Int("limit", 20, "rows of the result to print")
	pos, err := parseArgs(fs, args, 2, 3, "DATASET TOOL ['{\"arg\": value}'] [--limit N]")
	if err != nil {
		return err
	}
	toolArgs := map[string]any{}
	if len(pos) == 3 {
		if toolArgs, err = parseToolArgs(pos[2]); err != nil {
			return err
		}
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := c.CallTool(ctx, pos[0], pos[1], toolArgs)
	if err != nil {
		return err
	}
	return printResult(ctx, c, out, resp.GetResult(), resp.GetDuration().AsDuration().String(), *limit)
}

// toolArgsExample is the form of tool arguments, shown when they are malformed.
const toolArgsExample = `{"top_n": 5, "brands": ["Red Bull", "Monster Energy"]}`

// parseToolArgs reads a tool's arguments: one JSON object. The error of a
// malformed one shows the expected form.
func parseToolArgs(s string) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, usageError{fmt.Errorf("tool arguments %q are not a JSON object (%v); give one object in single quotes, e.g.\n"+
			"  mrswarm call beverage_sales brand_performance '%s'\n"+
			"(mrswarm tools DATASET --schema lists every tool's arguments)", s, err, toolArgsExample)}
	}
	return m, nil
}

// cmdSQL runs read-only SQL: mrswarm sql 'SELECT ...'.
func cmdSQL(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("sql", errOut)
	limit := fs.Int("limit", 20, "rows of the result to print")
	pos, err := parseArgs(fs, args, 1, 1, "'SELECT ...' [--limit N]")
	if err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := c.SQL(ctx, pos[0])
	if err != nil {
		return err
	}
	return printResult(ctx, c, out, resp.GetResult(), resp.GetDuration().AsDuration().String(), *limit)
}

func printResult(ctx context.Context, c *mrswarm.Client, out io.Writer, r *mrswarmv1.ResultSummary, took string, limit int) error {
	fmt.Fprintf(out, "result %s: %d rows, %d columns (%s, %s)\n", r.GetHandle(), r.GetRowCount(), len(r.GetColumns()), r.GetSource(), took)
	if limit <= 0 {
		return nil
	}
	if err := printTable(ctx, c, out, r.GetHandle(), limit); err != nil {
		return err
	}
	if r.GetRowCount() > int64(limit) {
		fmt.Fprintf(out, "... %d more rows: mrswarm show %s --limit %d\n", r.GetRowCount()-int64(limit), r.GetHandle(), r.GetRowCount())
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
