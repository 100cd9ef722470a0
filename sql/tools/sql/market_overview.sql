WITH base AS (
  SELECT {{.Col "revenue"}} AS revenue
    {{- if .Has "units"}}, {{.Col "units"}} AS units{{end}}
    {{- if .Has "profit"}}, {{.Col "profit"}} AS profit{{end}}
    {{- if .Has "brand"}}, {{.Col "brand"}} AS brand{{end}}
    {{- if .Has "category"}}, {{.Col "category"}} AS category{{end}}
    {{- if .Has "region"}}, {{.Col "region"}} AS region{{end}}
  FROM {{.Table}} WHERE {{.Where}}
),
agg AS (
  SELECT sum(revenue) AS revenue, count(*) AS transactions
    {{- if .Has "units"}}, sum(units) AS units{{end}}
    {{- if .Has "profit"}}, sum(profit) AS profit{{end}}
    {{- if .Has "brand"}}, count(DISTINCT brand) AS brands{{end}}
    {{- if .Has "category"}}, count(DISTINCT category) AS categories{{end}}
    {{- if .Has "region"}}, count(DISTINCT region) AS regions{{end}}
  FROM base
),
totals AS (
  SELECT 1 AS ord, 'totals' AS section, NULL::BIGINT AS rank, 'total_revenue' AS name, revenue::DOUBLE AS value, NULL::DOUBLE AS share_pct FROM agg
  UNION ALL SELECT 2, 'totals', NULL, 'transactions', transactions, NULL FROM agg
  {{- if .Has "units"}}
  UNION ALL SELECT 3, 'totals', NULL, 'total_units', units, NULL FROM agg
  UNION ALL SELECT 4, 'totals', NULL, 'avg_price', revenue / NULLIF(units, 0), NULL FROM agg{{end}}
  {{- if .Has "profit"}}
  UNION ALL SELECT 5, 'totals', NULL, 'total_profit', profit, NULL FROM agg
  UNION ALL SELECT 6, 'totals', NULL, 'margin_pct', profit / NULLIF(revenue, 0) * 100, NULL FROM agg{{end}}
  {{- if .Has "brand"}}
  UNION ALL SELECT 7, 'totals', NULL, 'brands', brands, NULL FROM agg{{end}}
  {{- if .Has "category"}}
  UNION ALL SELECT 8, 'totals', NULL, 'categories', categories, NULL FROM agg{{end}}
  {{- if .Has "region"}}
  UNION ALL SELECT 9, 'totals', NULL, 'regions', regions, NULL FROM agg{{end}}
)
{{- range $i, $d := (list "brand" "category" "region")}}{{if $.Has $d}},
top_{{$d}} AS (
  SELECT {{add 10 $i}} AS ord, 'top_{{$d}}s' AS section,
         row_number() OVER (ORDER BY sum(revenue) DESC, {{$d}}) AS rank, {{$d}} AS name,
         sum(revenue) AS value, sum(revenue) / NULLIF((SELECT revenue FROM agg), 0) * 100 AS share_pct
  FROM base GROUP BY {{$d}}
  QUALIFY rank <= {{$.P "top_n"}}
){{end}}{{end}}
SELECT section, rank, name, value, share_pct FROM (
  SELECT * FROM totals
  {{- range (list "brand" "category" "region")}}{{if $.Has .}} UNION ALL SELECT * FROM top_{{.}}{{end}}{{end}}
)
ORDER BY ord, rank NULLS FIRST
