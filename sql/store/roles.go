package store

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// roleNames lists, per role, the column names (normalized, several languages)
// that take it.
var roleNames = map[Role][]string{
	RoleDate: {"sale_date", "order_date", "date", "transaction_date", "sales_date", "day", "invoice_date",
		"timestamp", "txn_date", "datum", "fecha", "data", "week", "woche", "month", "period", "jour", "tag", "dia"},
	RoleRegion:  {"region", "market", "sales_region", "territory", "gebiet", "area", "zone", "zona", "district"},
	RoleCountry: {"country", "nation", "country_name", "country_code", "land", "pais", "pays", "paese"},
	RoleBrand: {"brand", "product", "product_line", "brand_name", "product_name", "label", "marke", "marca",
		"marque", "produkt", "producto", "produit", "artikel", "item"},
	RoleCategory: {"category", "product_category", "segment", "type", "kategorie", "categoria", "categorie",
		"warengruppe", "product_type", "class", "sparte"},
	RoleUnits: {"units_sold", "qty", "quantity", "units", "volume", "quantity_sold", "menge", "anzahl",
		"cantidad", "unidades", "quantite", "pieces", "stueck", "stuck", "volumen"},
	RoleRevenue: {"total_revenue", "revenue", "sales", "net_sales", "gross_sales", "sales_amount", "total_sales",
		"amount", "turnover", "umsatz", "erlos", "erloes", "erlose", "ventas", "ingresos", "chiffre_d_affaires",
		"ca", "fatturato", "omzet", "receita", "faturamento", "income", "net_revenue", "gross_revenue"},
	RoleCost: {"total_cost", "cost", "cogs", "costs", "cost_of_goods_sold", "expense", "expenses", "kosten",
		"costo", "coste", "costos", "cout", "couts", "aufwand", "gastos", "spesa"},
	RoleProfit: {"profit", "gross_profit", "net_profit", "total_profit", "gewinn", "beneficio", "ganancia",
		"benefice", "utile", "lucro", "earnings", "net_income"},
	RoleMargin: {"profit_margin", "margin", "gross_margin", "margin_pct", "margin_percent", "marge", "margen",
		"margine", "margin_rate"},
	RolePrice: {"price_per_unit", "price", "unit_price", "preis", "precio", "prix", "prezzo", "avg_price"},
	RoleStore: {"store_id", "store", "shop", "outlet", "store_name", "filiale", "tienda", "magasin", "negozio", "branch"},

	RoleChannel:     {"channel", "media_channel", "marketing_channel", "medium", "platform", "kanal", "canal", "source"},
	RoleCampaign:    {"campaign", "campaign_name", "campaign_id", "kampagne", "campana", "campagne"},
	RoleSpend:       {"spend", "ad_spend", "media_spend", "amount_spent", "spend_usd", "ausgaben", "gasto", "investment"},
	RoleImpressions: {"impressions", "impr", "imps", "views", "impressionen", "impresiones"},
	RoleClicks:      {"clicks", "link_clicks", "klicks", "clics"},
	RoleConversions: {"conversions", "purchases", "leads", "signups", "orders", "conv", "conversiones", "konversionen"},
}

// roleWords is the fallback: a role goes to a column whose name holds one of
// these words, e.g. "revenue_usd" -> revenue, unless it is a per-unit figure.
var roleWords = map[Role][]string{
	RoleDate: {"date", "datum", "fecha", "day", "week", "month"}, RoleRegion: {"region"},
	RoleCountry: {"country"}, RoleBrand: {"brand", "product"}, RoleCategory: {"category"},
	RoleUnits: {"units", "qty", "quantity"}, RoleRevenue: {"revenue", "sales", "umsatz"},
	RoleCost: {"cost", "costs", "kosten"}, RoleProfit: {"profit"}, RoleMargin: {"margin"},
	RolePrice: {"price"}, RoleStore: {"store"}, RoleChannel: {"channel"}, RoleCampaign: {"campaign"},
	RoleSpend: {"spend"}, RoleImpressions: {"impressions"}, RoleClicks: {"clicks"},
	RoleConversions: {"conversions"},
}

var numericRoles = map[Role]bool{RoleUnits: true, RoleRevenue: true, RoleCost: true,
	RoleProfit: true, RoleMargin: true, RolePrice: true, RoleSpend: true, RoleImpressions: true,
	RoleClicks: true, RoleConversions: true}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// accents folds the accented letters of common column names to ASCII.
var accents = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "é", "e", "è", "e", "ê", "e",
	"á", "a", "à", "a", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "ç", "c", "û", "u", "ô", "o", "â", "a")

func normName(s string) string {
	return strings.Trim(nonWord.ReplaceAllString(accents.Replace(strings.ToLower(s)), "_"), "_")
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

// applyRoles merges overrides into roles after checking each role and column.
// One column holds at most one role: setting a role on a column moves it there,
// and whatever role the column had before is cleared.
func applyRoles(cols []Column, roles, overrides map[Role]string) (map[Role]string, error) {
	out := make(map[Role]string, len(roles))
	for r, c := range roles {
		out[r] = c
	}
	for _, r := range sortedRoles(overrides) {
		name := overrides[r]
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
		for other, c := range out {
			if c == name && other != r {
				delete(out, other)
			}
		}
		out[r] = name
	}
	return out, checkOneRoleEach(overrides)
}

// sortedRoles returns the keys of m in the order of Roles (unknown roles last).
func sortedRoles(m map[Role]string) []Role {
	out := make([]Role, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Role) int {
		ia, ib := slices.Index(Roles, a), slices.Index(Roles, b)
		if ia < 0 {
			ia = len(Roles)
		}
		if ib < 0 {
			ib = len(Roles)
		}
		return ia - ib
	})
	return out
}

// checkOneRoleEach refuses overrides that give one column two roles.
func checkOneRoleEach(overrides map[Role]string) error {
	seen := map[string]Role{}
	for _, r := range sortedRoles(overrides) {
		c := overrides[r]
		if c == "" {
			continue
		}
		if prev, ok := seen[c]; ok {
			return fmt.Errorf("%w: column %q cannot take both roles %s and %s: a column holds one role", ErrInvalid, c, prev, r)
		}
		seen[c] = r
	}
	return nil
}

// withRoles returns cols with Role set from roles. A column keeps its role's
// confidence and reason when inference gave it that role; an override that put
// a role on it is explained as set by the user.
func withRoles(cols []Column, roles map[Role]string) []Column {
	out := slices.Clone(cols)
	for i := range out {
		before := out[i].Role
		out[i].Role = ""
		for _, r := range Roles {
			if roles[r] == out[i].Name {
				out[i].Role = r
			}
		}
		if out[i].Role != before || out[i].Role == "" {
			out[i].RoleConfidence, out[i].RoleReason = 0, ""
			if out[i].Role != "" {
				out[i].RoleConfidence, out[i].RoleReason = 1, "set by the user"
			}
		}
	}
	return out
}
