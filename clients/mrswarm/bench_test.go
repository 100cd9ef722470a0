package mrswarm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
	"github.com/mrswarm/mrswarm/server/servertest"
)

// BenchmarkExpandResult reads every row of a 15,000-row result: pages of
// GetResultPage of several sizes against one StreamResult stream.
func BenchmarkExpandResult(b *testing.B) {
	srv := servertest.Start(b, servertest.Options{Beverage: true})
	c, err := mrswarm.Dial(b.Context(), srv.GRPCAddr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.LoadDataset(b.Context(), "beverage", servertest.BeverageFile); err != nil {
		b.Fatal(err)
	}
	res, err := c.SQL(b.Context(), "SELECT * FROM beverage")
	if err != nil {
		b.Fatal(err)
	}
	h := res.GetResult().GetHandle()
	read := func(b *testing.B, seq func(func(mrswarm.Page, error) bool)) {
		n := 0
		for p, err := range seq {
			if err != nil {
				b.Fatal(err)
			}
			n += len(p.Rows)
		}
		if int64(n) != res.GetResult().GetRowCount() {
			b.Fatalf("read %d rows, want %d", n, res.GetResult().GetRowCount())
		}
	}
	for _, size := range []int{100, 1000, 10000} {
		b.Run("pages_"+itoa(size), func(b *testing.B) {
			for b.Loop() {
				read(b, c.Rows(b.Context(), h, size))
			}
		})
	}
	b.Run("stream_1000", func(b *testing.B) {
		for b.Loop() {
			read(b, c.StreamRows(b.Context(), h, 1000))
		}
	})
}

// BenchmarkUploadVsLoad compares streaming the beverage CSV's bytes with
// UploadDataset to loading the same file from the data root (a fresh name
// each time, so neither is a cache hit).
func BenchmarkUploadVsLoad(b *testing.B) {
	srv := servertest.Start(b, servertest.Options{Beverage: true})
	c, err := mrswarm.Dial(b.Context(), srv.GRPCAddr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	data, err := os.ReadFile(filepath.Join(srv.DataRoot, servertest.BeverageFile))
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			i++
			if _, err := c.UploadDataset(b.Context(), "u"+itoa(i), "sales.csv", bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			i++
			if _, err := c.LoadDataset(b.Context(), "l"+itoa(i), servertest.BeverageFile); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
