// Package gendata generates deterministic, seeded beverage-sales data in the
// 16-column shape of the original system's beverage_sales.csv, at any row count.
//
// Money is computed in integer cents, so the invariants hold exactly:
// total_revenue = units_sold × price_per_unit, total_cost = units_sold ×
// cost_per_unit, profit = total_revenue − total_cost, and profit_margin =
// profit / total_revenue × 100 rounded half away from zero to 2 decimals.
package gendata

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Header is the CSV header line's columns, in order.
var Header = []string{"sale_date", "year", "month", "quarter", "region", "country", "store_id",
	"brand", "category", "units_sold", "price_per_unit", "total_revenue", "cost_per_unit",
	"total_cost", "profit", "profit_margin"}

// ErrInvalid reports a bad argument.
var ErrInvalid = errors.New("gendata: invalid argument")

// The date range of the original data, inclusive.
var (
	FirstDay = time.Date(2022, 6, 20, 0, 0, 0, 0, time.UTC)
	LastDay  = time.Date(2025, 6, 19, 0, 0, 0, 0, time.UTC)
)

// Regions maps each of the 8 regions to its countries (26 in all; Australia,
// Argentina and Brazil appear under two regions, as in the original).
var Regions = []struct {
	Name      string
	Countries []string
}{
	{"Africa", []string{"Kenya", "Nigeria", "South Africa"}},
	{"Asia Pacific", []string{"Australia", "China", "India", "Japan", "South Korea"}},
	{"Australia", []string{"Australia", "New Zealand"}},
	{"Europe", []string{"France", "Germany", "Italy", "Spain", "UK"}},
	{"Latin America", []string{"Argentina", "Brazil", "Chile", "Colombia"}},
	{"Middle East", []string{"Israel", "Saudi Arabia", "UAE"}},
	{"North America", []string{"Canada", "Mexico", "USA"}},
	{"South America", []string{"Argentina", "Brazil", "Peru", "Venezuela"}},
}

// Brands lists the 17 brands with their category (9 in all) and base unit
// price in cents; a sale's price is within ±10% of the base, as in the original.
var Brands = []struct {
	Name, Category string
	BaseCents      int64
}{
	{"Coca-Cola", "Cola", 150}, {"Pepsi", "Cola", 145}, {"Dr Pepper", "Cola", 155},
	{"Sprite", "Lemon-Lime", 140}, {"7UP", "Lemon-Lime", 140}, {"Fanta", "Orange", 135},
	{"Mountain Dew", "Citrus", 160}, {"Red Bull", "Energy", 250}, {"Monster Energy", "Energy", 280},
	{"Gatorade", "Sports", 180}, {"Powerade", "Sports", 175}, {"Vitamin Water", "Enhanced Water", 200},
	{"Tropicana", "Juice", 350}, {"Minute Maid", "Juice", 280}, {"Simply Orange", "Juice", 320},
	{"Aquafina", "Water", 100}, {"Dasani Water", "Water", 100},
}

// seasonality is the units multiplier per month (index 0 = January), in
// percent: summer months sell about a third more, as in the original.
var seasonality = [12]int64{92, 95, 100, 100, 102, 135, 136, 133, 102, 100, 101, 92}

// day is one calendar day: its leading CSV fields ("2022-11-04,2022,11,Q4,")
// and its 0-based month.
type day struct {
	prefix []byte
	month  int
}

// Generate writes a header and rows rows of beverage sales as CSV to w. The same
// seed always yields the same bytes.
func Generate(w io.Writer, rows int, seed int64) error {
	if rows < 0 {
		return fmt.Errorf("%w: negative row count %d", ErrInvalid, rows)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := newGenerator(seed)
	line := make([]byte, 0, 256)
	for i, h := range Header {
		if i > 0 {
			line = append(line, ',')
		}
		line = append(line, h...)
	}
	line = append(line, '\n')
	if _, err := bw.Write(line); err != nil {
		return err
	}
	for range rows {
		line = g.row(line[:0])
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

type generator struct {
	rng  *rand.Rand
	days []day
}

func newGenerator(seed int64) *generator {
	g := &generator{rng: rand.New(rand.NewPCG(uint64(seed), 0x6d72737761726d))}
	for d := FirstDay; !d.After(LastDay); d = d.AddDate(0, 0, 1) {
		p := fmt.Sprintf("%s,%d,%d,Q%d,", d.Format("2006-01-02"), d.Year(), int(d.Month()), (int(d.Month())+2)/3)
		g.days = append(g.days, day{[]byte(p), int(d.Month()) - 1})
	}
	return g
}

// row appends one CSV line to b.
func (g *generator) row(b []byte) []byte {
	di := g.rng.IntN(len(g.days))
	month := g.days[di].month
	reg := Regions[g.rng.IntN(len(Regions))]
	country := reg.Countries[g.rng.IntN(len(reg.Countries))]
	brand := Brands[g.rng.IntN(len(Brands))]
	units := (40 + g.rng.Int64N(521)) * seasonality[month] / 100
	price := (brand.BaseCents*(901+g.rng.Int64N(199)) + 500) / 1000 // ±10%
	cost := max(1, (price*(600+g.rng.Int64N(101))+500)/1000)        // 60–70% of price
	revenue, totalCost := units*price, units*cost
	profit := revenue - totalCost

	b = append(b, g.days[di].prefix...)
	b = append(b, reg.Name...)
	b = append(b, ',')
	b = append(b, country...)
	b = append(b, ",ST"...)
	b = strconv.AppendInt(b, 1000+g.rng.Int64N(9000), 10)
	b = append(b, ',')
	b = append(b, brand.Name...)
	b = append(b, ',')
	b = append(b, brand.Category...)
	b = append(b, ',')
	b = strconv.AppendInt(b, units, 10)
	for _, c := range []int64{price, revenue, cost, totalCost, profit, marginHundredths(profit, revenue)} {
		b = append(b, ',')
		b = appendCents(b, c)
	}
	return append(b, '\n')
}

// marginHundredths is profit/revenue×100 in hundredths, rounded half away from zero.
func marginHundredths(profit, revenue int64) int64 {
	if revenue == 0 {
		return 0
	}
	n := profit * 10000
	if n < 0 {
		return -((-n*2 + revenue) / (2 * revenue))
	}
	return (n*2 + revenue) / (2 * revenue)
}

// appendCents writes c/100 the way the original's floats print: at least one
// decimal, no trailing zero ("1.0", "31.3", "846.37").
func appendCents(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	b = append(b, '.', byte('0'+c%100/10))
	if c%10 != 0 {
		b = append(b, byte('0'+c%10))
	}
	return b
}
