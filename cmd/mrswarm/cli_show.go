package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
)

// cmdShow expands a result handle: mrswarm show HANDLE [--csv] [--limit N].
func cmdShow(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet("show", errOut)
	csv := fs.Bool("csv", false, "print CSV with a header line instead of a table")
	limit := fs.Int("limit", 0, "print at most `N` rows (0: all)")
	pos, err := parseArgs(fs, args, 1, 1, "HANDLE [--csv] [--limit N]")
	if err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if *csv {
		return printCSV(ctx, c, out, pos[0], *limit)
	}
	return printTable(ctx, c, out, pos[0], *limit)
}

// cmdPin pins a result handle so that retention keeps it: mrswarm pin HANDLE.
func cmdPin(ctx context.Context, args []string, out, errOut io.Writer) error {
	return setPinned(ctx, "pin", args, out, errOut)
}

// cmdUnpin makes a pinned handle evictable again: mrswarm unpin HANDLE.
func cmdUnpin(ctx context.Context, args []string, out, errOut io.Writer) error {
	return setPinned(ctx, "unpin", args, out, errOut)
}

func setPinned(ctx context.Context, name string, args []string, out, errOut io.Writer) error {
	fs, cf := newFlagSet(name, errOut)
	pos, err := parseArgs(fs, args, 1, 1, "HANDLE")
	if err != nil {
		return err
	}
	c, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if name == "pin" {
		err = c.Pin(ctx, pos[0])
	} else {
		err = c.Unpin(ctx, pos[0])
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %sned\n", pos[0], name)
	return nil
}

// csvPage is the number of rows fetched per CSV page.
const csvPage = 5000

func printCSV(ctx context.Context, c *mrswarm.Client, out io.Writer, handle string, limit int) error {
	var offset int64
	for {
		n := csvPage
		if limit > 0 {
			n = min(n, limit-int(offset))
		}
		p, err := c.CSVPage(ctx, handle, offset, n)
		if err != nil {
			return err
		}
		text := p.GetCsv()
		if offset > 0 {
			_, text, _ = strings.Cut(text, "\n") // the header line again
		}
		if _, err := io.WriteString(out, text); err != nil {
			return err
		}
		next := p.GetNextOffset()
		if p.GetDone() || next <= offset || (limit > 0 && next >= int64(limit)) {
			return nil
		}
		offset = next
	}
}

func printTable(ctx context.Context, c *mrswarm.Client, out io.Writer, handle string, limit int) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	defer tw.Flush()
	printed := 0
	pageSize := 1000
	if limit > 0 {
		pageSize = min(limit, pageSize)
	}
	for p, err := range c.Rows(ctx, handle, pageSize) {
		if err != nil {
			return err
		}
		if printed == 0 {
			names := make([]string, len(p.Columns))
			for i, col := range p.Columns {
				names[i] = col.GetName()
			}
			fmt.Fprintln(tw, strings.Join(names, "\t")+"\t")
		}
		for _, row := range p.Rows {
			if limit > 0 && printed >= limit {
				return nil
			}
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = formatCell(v)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
			printed++
		}
		if limit > 0 && printed >= limit {
			return nil
		}
	}
	return nil
}

// formatCell renders one JSON value for a table.
func formatCell(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		r := math.Round(x*1e4) / 1e4
		if r == 0 {
			r = 0 // no "-0"
		}
		return strconv.FormatFloat(r, 'f', -1, 64)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}
