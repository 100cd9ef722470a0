package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// withLimitDefaults fills the zero resource limits of a Config built in code.
func (c *Config) withLimitDefaults() {
	def64 := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def64(&c.MemoryLimit, percentOfRAM(DefaultMemoryPercent))
	def64(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	def64(&c.ResultMaxBytes, DefaultResultMaxBytes)
	defDur(&c.LoadTimeout, DefaultLoadTimeout)
	defDur(&c.ResultMaxAge, DefaultResultMaxAge)
}

// percentOfRAM is p percent of the machine's memory (of 4 GiB where unknown).
func percentOfRAM(p int64) int64 {
	total := totalRAM()
	if total <= 0 {
		total = 4 << 30
	}
	return total / 100 * p
}

// byteSize is a flag of a size in bytes: a number with an optional unit (KB,
// MB, GB, TB for 1000^i; KiB, MiB, GiB, TiB for 1024^i) or a percentage of RAM.
type byteSize struct{ p *int64 }

func (b byteSize) String() string {
	if b.p == nil {
		return ""
	}
	return fmt.Sprintf("%dMiB", *b.p>>20)
}

func (b byteSize) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b.p = n
	return nil
}

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1},
}

// parseByteSize reads "512MiB", "4GB", "25%" or a plain number of bytes.
func parseByteSize(s string) (int64, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	bad := fmt.Errorf("%q is not a size (e.g. 4GiB, 512MB, 25%%)", s)
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		p, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || p <= 0 || p > 100 {
			return 0, bad
		}
		return int64(float64(percentOfRAM(100)) * p / 100), nil
	}
	mult := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0, bad
	}
	return int64(f * float64(mult)), nil
}
