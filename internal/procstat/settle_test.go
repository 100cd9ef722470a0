package procstat

import (
	"errors"
	"testing"
)

func TestSettle(t *testing.T) {
	mib := int64(1 << 20)
	tests := []struct {
		name     string
		readings []int64
		want     int64
		reads    int
	}{
		{"at rest at once", []int64{90 * mib, 90 * mib}, 90 * mib, 2},
		{"waits while it shrinks", []int64{100 * mib, 95 * mib, 91 * mib, 91*mib - 100<<10}, 91*mib - 100<<10, 4},
		{"growth counts as at rest", []int64{90 * mib, 92 * mib}, 92 * mib, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			got, err := Settle(0, func() (int64, error) {
				v := tt.readings[min(n, len(tt.readings)-1)]
				n++
				return v, nil
			})
			if err != nil || got != tt.want || n != tt.reads {
				t.Errorf("Settle = %d, %v after %d readings; want %d after %d", got, err, n, tt.want, tt.reads)
			}
		})
	}
	boom := errors.New("boom")
	if _, err := Settle(0, func() (int64, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("a failing reading: err %v, want %v", err, boom)
	}
}
