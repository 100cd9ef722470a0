package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gen builds a CSV body: the header line, then n rows from row(i).
func gen(header string, n int, row func(i int) string) string {
	var b strings.Builder
	b.WriteString(header + "\n")
	for i := range n {
		b.WriteString(row(i) + "\n")
	}
	return b.String()
}

// money2 formats cents as 1234.56.
func money2(cents int) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

// TestInferShapes loads differently shaped generated files and checks the roles
// inferred with no roles given: names in several languages, types and values.
func TestInferShapes(t *testing.T) {
	regions := []string{"North", "South", "East", "West"}
	brands := []string{"Aqua", "Fizz", "Zest"}
	tests := []struct {
		name, file, body string
		want             map[Role]string
	}{
		{"renamed seed", "renamed.csv", gen("txn_day,territory,nation,label,segment,volume,gross_sales,expense,margin_usd", 40, func(i int) string {
			rev, cost := 10000+i*137, 6000+i*71
			return fmt.Sprintf("2024-01-%02d,%s,Chile,%s,Soda,%d,%s,%s,%s", i%28+1, regions[i%4], brands[i%3], 10+i, money2(rev), money2(cost), money2(rev-cost))
		}), map[Role]string{RoleDate: "txn_day", RoleRegion: "territory", RoleCountry: "nation", RoleBrand: "label",
			RoleCategory: "segment", RoleUnits: "volume", RoleRevenue: "gross_sales", RoleCost: "expense", RoleProfit: "margin_usd"}},
		{"german weekly export", "de.csv", gen("Woche;Gebiet;Marke;Menge;Umsatz;Kosten", 30, func(i int) string {
			return fmt.Sprintf("%02d.%02d.2024;%s;%s;%d;%d,%d;%d,%d", i%28+1, i%12+1, regions[i%4], brands[i%3], 5+i, 800+i, i%10, 500+i, i%7)
		}), map[Role]string{RoleDate: "Woche", RoleRegion: "Gebiet", RoleBrand: "Marke", RoleUnits: "Menge",
			RoleRevenue: "Umsatz", RoleCost: "Kosten"}},
		{"us export", "us.csv", gen("Order Date,Region,Product,Qty,Sales,COGS", 30, func(i int) string {
			return fmt.Sprintf("%02d/%02d/2024,%s,%s,\"1,%03d\",\"$4,%03d.25\",\"$2,%03d.10\"", i%12+1, i%28+1, regions[i%4], brands[i%3], i, i*7, i*3)
		}), map[Role]string{RoleDate: "Order Date", RoleRegion: "Region", RoleBrand: "Product", RoleUnits: "Qty",
			RoleRevenue: "Sales", RoleCost: "COGS"}},
		{"ad spend with cost", "ads.csv", gen("day,platform,campaign_name,impr,link_clicks,cost,purchases", 20, func(i int) string {
			return fmt.Sprintf("2024-02-%02d,%s,c%d,%d,%d,%d.50,%d", i%28+1, []string{"google", "meta"}[i%2], i%3, 10000+i, 200+i, 100+i, 5+i%4)
		}), map[Role]string{RoleDate: "day", RoleChannel: "platform", RoleCampaign: "campaign_name", RoleImpressions: "impr",
			RoleClicks: "link_clicks", RoleSpend: "cost", RoleConversions: "purchases"}},
		{"names mean nothing, values tell", "anon.csv", gen("when,a,b,c", 30, func(i int) string {
			rev, cost := 5000+i*91, 3500+i*53
			return fmt.Sprintf("2024-03-%02d,%s,%s,%s", i%28+1, money2(rev), money2(cost), money2(rev-cost))
		}), map[Role]string{RoleDate: "when", RoleRevenue: "a", RoleCost: "b", RoleProfit: "c"}},
		{"units times price", "upr.csv", gen("item,n,p,total", 30, func(i int) string {
			n, p := 3+i, 150+i*7
			return fmt.Sprintf("%s,%d,%s,%s", brands[i%3], n, money2(p), money2(n*p))
		}), map[Role]string{RoleBrand: "item", RoleUnits: "n", RolePrice: "p", RoleRevenue: "total"}},
		{"spanish", "es.csv", gen("fecha,región,país,marca,cantidad,ventas,costos", 20, func(i int) string {
			return fmt.Sprintf("2024-04-%02d,%s,Peru,%s,%d,%d.5,%d.25", i+1, regions[i%4], brands[i%3], i+1, 900+i, 400+i)
		}), map[Role]string{RoleDate: "fecha", RoleRegion: "región", RoleCountry: "país", RoleBrand: "marca",
			RoleUnits: "cantidad", RoleRevenue: "ventas", RoleCost: "costos"}},
		{"french with euro amounts", "fr.csv", gen("date;pays;marque;chiffre d'affaires;coût", 20, func(i int) string {
			return fmt.Sprintf("2024-05-%02d;France;%s;%d,50 €;%d,25 €", i+1, brands[i%3], 1200+i, 700+i)
		}), map[Role]string{RoleDate: "date", RoleCountry: "pays", RoleBrand: "marque", RoleRevenue: "chiffre d'affaires",
			RoleCost: "coût"}},
		{"percentage margin", "pct.csv", gen("month,brand,revenue,Marge", 20, func(i int) string {
			return fmt.Sprintf("2024-%02d,%s,%d.00,%d.5%%", i%12+1, brands[i%3], 1000+i, 20+i%10)
		}), map[Role]string{RoleDate: "month", RoleBrand: "brand", RoleRevenue: "revenue", RoleMargin: "Marge"}},
		{"dollar margin is profit", "usd.csv", gen("brand,sales,margin_usd", 20, func(i int) string {
			return fmt.Sprintf("%s,%d.00,%d.40", brands[i%3], 2000+i*10, 300+i*9)
		}), map[Role]string{RoleBrand: "brand", RoleRevenue: "sales", RoleProfit: "margin_usd"}},
		{"accounting negatives", "acct.csv", gen("region,revenue,profit", 20, func(i int) string {
			p := fmt.Sprintf("%d.50", 100+i)
			if i%4 == 0 {
				p = "(" + p + ")"
			}
			return fmt.Sprintf("%s,%d.00,%s", regions[i%4], 900+i, p)
		}), map[Role]string{RoleRegion: "region", RoleRevenue: "revenue", RoleProfit: "profit"}},
		{"excel serial dates", "serial.csv", gen("Date,Store,Units", 20, func(i int) string {
			return fmt.Sprintf("%d,S%d,%d", 45292+i, i%3, 10+i)
		}), map[Role]string{RoleDate: "Date", RoleStore: "Store", RoleUnits: "Units"}},
		{"yyyymmdd numbers", "ymd.csv", gen("datum,filiale,umsatz", 20, func(i int) string {
			return fmt.Sprintf("202406%02d,F%d,%d.5", i+1, i%2, 100+i)
		}), map[Role]string{RoleDate: "datum", RoleStore: "filiale", RoleRevenue: "umsatz"}},
		{"iso weeks", "weeks.csv", gen("week,channel,spend,conversions", 20, func(i int) string {
			return fmt.Sprintf("2024-W%02d,%s,%d.00,%d", i+1, []string{"tv", "search"}[i%2], 500+i, 20+i)
		}), map[Role]string{RoleDate: "week", RoleChannel: "channel", RoleSpend: "spend", RoleConversions: "conversions"}},
		{"month names", "mon.csv", gen("period,category,net_sales", 12, func(i int) string {
			return fmt.Sprintf("%s 2024,%s,%d.75", []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}[i], brands[i%3], 700+i)
		}), map[Role]string{RoleDate: "period", RoleCategory: "category", RoleRevenue: "net_sales"}},
		{"two dates: the named one", "two.csv", gen("ship_date,order_date,revenue", 20, func(i int) string {
			return fmt.Sprintf("2024-06-%02d,2024-05-%02d,%d.0", i+2, i+1, 100+i)
		}), map[Role]string{RoleDate: "order_date", RoleRevenue: "revenue"}},
		{"timestamps under any name", "ts.csv", gen("created,shop,amount", 20, func(i int) string {
			return fmt.Sprintf("2024-07-%02dT10:%02d:00,%s,%d.0", i+1, i, brands[i%3], 100+i)
		}), map[Role]string{RoleDate: "created", RoleStore: "shop", RoleRevenue: "amount"}},
		{"text named revenue is no measure", "txt.csv", gen("brand,revenue,units", 12, func(i int) string {
			return fmt.Sprintf("%s,%s,%d", brands[i%3], []string{"high", "low", "mid"}[i%3], i)
		}), map[Role]string{RoleBrand: "brand", RoleUnits: "units"}},
		{"blank markers", "blank.csv", gen("region,revenue,cost", 20, func(i int) string {
			rev := fmt.Sprintf("%d.5", 100+i)
			if i%5 == 0 {
				rev = []string{"n/a", "-", "", "N/A"}[i/5]
			}
			return fmt.Sprintf("%s,%s,%d.25", regions[i%4], rev, 50+i)
		}), map[Role]string{RoleRegion: "region", RoleRevenue: "revenue", RoleCost: "cost"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, Options{})
			writeFile(t, s.DataRoot(), tc.file, tc.body)
			res, err := s.LoadFile(t.Context(), "ds", tc.file, FormatAuto, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Dataset.Roles); diff != "" {
				t.Errorf("roles (-want +got):\n%s\ncolumns: %+v", diff, res.Dataset.Columns)
			}
			for _, c := range res.Dataset.Conversions() {
				if c.Failed != 0 {
					t.Errorf("conversion of %s failed %d cells: %+v", c.Column, c.Failed, c)
				}
			}
			for _, rd := range res.Dataset.RoleDetails() {
				if rd.Reason == "" || rd.Confidence < minConfidence {
					t.Errorf("role %s: confidence %v reason %q", rd.Role, rd.Confidence, rd.Reason)
				}
			}
		})
	}
}
