package store

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// roleNames lists, per role, the column names that take it, best first.
var roleNames = map[Role][]string{
	RoleDate:     {"sale_date", "order_date", "date", "transaction_date", "sales_date", "day", "invoice_date", "timestamp"},
	RoleRegion:   {"region", "market", "sales_region", "territory"},
	RoleCountry:  {"country", "nation", "country_name"},
	RoleBrand:    {"brand", "product", "product_line", "brand_name", "product_name"},
	RoleCategory: {"category", "product_category", "segment", "type"},
	RoleUnits:    {"units_sold", "qty", "quantity", "units", "volume", "quantity_sold"},
	RoleRevenue:  {"total_revenue", "revenue", "sales", "net_sales", "sales_amount", "total_sales", "amount"},
	RoleCost:     {"total_cost", "cost", "cogs", "costs", "cost_of_goods_sold"},
	RoleProfit:   {"profit", "gross_profit", "net_profit", "total_profit"},
	RoleMargin:   {"profit_margin", "margin", "gross_margin", "margin_pct"},
	RolePrice:    {"price_per_unit", "price", "unit_price"},
	RoleStore:    {"store_id", "store", "shop", "outlet", "store_name"},

	RoleChannel:     {"channel", "media_channel", "marketing_channel", "medium", "platform"},
	RoleCampaign:    {"campaign", "campaign_name", "campaign_id"},
	RoleSpend:       {"spend", "ad_spend", "media_spend", "amount_spent", "spend_usd"},
	RoleImpressions: {"impressions", "impr", "imps"},
	RoleClicks:      {"clicks", "link_clicks"},
	RoleConversions: {"conversions", "purchases", "leads", "signups", "orders"},
}

// roleWords is the fallback: a role goes to a column whose name holds this word,
// e.g. "revenue_usd" -> revenue, unless it is a per-unit figure.
var roleWords = map[Role]string{
	RoleDate: "date", RoleRegion: "region", RoleCountry: "country", RoleBrand: "brand",
	RoleCategory: "category", RoleUnits: "units", RoleRevenue: "revenue", RoleCost: "cost",
	RoleProfit: "profit", RoleMargin: "margin", RolePrice: "price", RoleStore: "store",
	RoleChannel: "channel", RoleCampaign: "campaign", RoleSpend: "spend",
	RoleImpressions: "impressions", RoleClicks: "clicks", RoleConversions: "conversions",
}

var numericRoles = map[Role]bool{RoleUnits: true, RoleRevenue: true, RoleCost: true,
	RoleProfit: true, RoleMargin: true, RolePrice: true, RoleSpend: true, RoleImpressions: true,
	RoleClicks: true, RoleConversions: true}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func normName(s string) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(s), "_"), "_")
}

// numericTypes are DuckDB's numeric type names (DECIMAL also with "(p,s)").
var numericTypes = map[string]bool{"TINYINT": true, "SMALLINT": true, "INTEGER": true, "BIGINT": true,
	"HUGEINT": true, "UTINYINT": true, "USMALLINT": true, "UINTEGER": true, "UBIGINT": true,
	"UHUGEINT": true, "FLOAT": true, "DOUBLE": true, "DECIMAL": true, "REAL": true}

// isNumeric reports whether a DuckDB type name is a numeric scalar (not a list of numbers).
func isNumeric(typ string) bool {
	t := strings.ToUpper(strings.TrimSpace(typ))
	if i := strings.IndexByte(t, '('); i > 0 && strings.HasSuffix(t, ")") {
		t = t[:i]
	}
	return numericTypes[t]
}

// isTemporal reports whether a DuckDB type name is a date or timestamp.
func isTemporal(typ string) bool {
	t := strings.ToUpper(typ)
	return t == "DATE" || strings.HasPrefix(t, "TIMESTAMP")
}

// fits reports whether a column of type typ can take role r. dateLike says
// whether a VARCHAR column parses as dates.
func fits(r Role, typ string, dateLike bool) bool {
	switch {
	case numericRoles[r]:
		return isNumeric(typ)
	case r == RoleDate:
		return isTemporal(typ) || dateLike
	}
	return true
}

// inferRoles assigns each role to at most one column and each column at most one
// role: first by exact names (best first), then by a word in the name.
// dateLike names VARCHAR columns whose values parse as dates.
func inferRoles(cols []Column, dateLike map[string]bool) map[Role]string {
	roles := map[Role]string{}
	used := map[string]bool{}
	byNorm := map[string]Column{}
	for _, c := range cols {
		if _, dup := byNorm[normName(c.Name)]; !dup {
			byNorm[normName(c.Name)] = c
		}
	}
	for _, r := range Roles {
		for _, n := range roleNames[r] {
			if c, ok := byNorm[n]; ok && !used[c.Name] && fits(r, c.Type, dateLike[c.Name]) {
				roles[r], used[c.Name] = c.Name, true
				break
			}
		}
	}
	for _, r := range Roles {
		if _, ok := roles[r]; ok {
			continue
		}
		for _, c := range cols {
			words := strings.Split(normName(c.Name), "_")
			if !used[c.Name] && slices.Contains(words, roleWords[r]) && !slices.Contains(words, "per") &&
				fits(r, c.Type, dateLike[c.Name]) {
				roles[r], used[c.Name] = c.Name, true
				break
			}
		}
	}
	return roles
}

// applyRoles merges overrides into roles after checking each role and column.
func applyRoles(cols []Column, roles, overrides map[Role]string) (map[Role]string, error) {
	out := make(map[Role]string, len(roles))
	for r, c := range roles {
		out[r] = c
	}
	for r, name := range overrides {
		if !slices.Contains(Roles, r) {
			return nil, fmt.Errorf("%w: unknown role %q (known: %v)", ErrInvalid, r, Roles)
		}
		if name == "" {
			delete(out, r)
			continue
		}
		i := slices.IndexFunc(cols, func(c Column) bool { return c.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%w: role %s: no column %q", ErrInvalid, r, name)
		}
		if numericRoles[r] && !isNumeric(cols[i].Type) {
			return nil, fmt.Errorf("%w: role %s needs a numeric column; %q is %s", ErrInvalid, r, name, cols[i].Type)
		}
		out[r] = name
	}
	return out, nil
}

// withRoles returns cols with Role set from roles.
func withRoles(cols []Column, roles map[Role]string) []Column {
	out := slices.Clone(cols)
	for i := range out {
		out[i].Role = ""
		for _, r := range Roles {
			if roles[r] == out[i].Name {
				out[i].Role = r
			}
		}
	}
	return out
}
