{{- /* The grand total in one pass, then one grouped pass per dimension the dataset has. */ -}}
WITH agg AS MATERIALIZED (
  SELECT sum({{.Col "revenue"}}) AS revenue, count(*) AS transactions,
         sum({{if .Has "units"}}{{.Col "units"}}{{else}}NULL::DOUBLE{{end}}) AS units,
         sum({{if .Has "profit"}}{{.Col "profit"}}{{else}}NULL::DOUBLE{{end}}) AS profit
  FROM {{.Table}} WHERE {{.Where}}
),
groups AS MATERIALIZED (
  SELECT NULL::INTEGER AS ord, NULL::VARCHAR AS name, NULL::DOUBLE AS revenue WHERE false
  {{- range $i, $d := (list "brand" "category" "region")}}{{if $.Has $d}}
  UNION ALL
  SELECT {{add 10 $i}}, {{$.Col $d}}, sum({{$.Col "revenue"}})
  FROM {{$.Table}} WHERE {{$.Where}} AND {{$.Col $d}} IS NOT NULL GROUP BY 2
  {{- end}}{{end}}
),
counts AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE ord = 10) AS brands, count(*) FILTER (WHERE ord = 11) AS categories,
         count(*) FILTER (WHERE ord = 12) AS regions FROM groups
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
  UNION ALL SELECT 7, 'totals', NULL, 'brands', brands, NULL FROM counts{{end}}
  {{- if .Has "category"}}
  UNION ALL SELECT 8, 'totals', NULL, 'categories', categories, NULL FROM counts{{end}}
  {{- if .Has "region"}}
  UNION ALL SELECT 9, 'totals', NULL, 'regions', regions, NULL FROM counts{{end}}
),
tops AS (
  SELECT ord, CASE ord WHEN 10 THEN 'top_brands' WHEN 11 THEN 'top_categories' ELSE 'top_regions' END AS section,
         row_number() OVER (PARTITION BY ord ORDER BY revenue DESC, name) AS rank,
         name, revenue AS value, revenue / NULLIF((SELECT revenue FROM agg), 0) * 100 AS share_pct
  FROM groups
  QUALIFY rank <= {{.P "top_n"}}
)
SELECT section, rank, name, value, share_pct FROM (SELECT * FROM totals UNION ALL SELECT * FROM tops)
ORDER BY ord, rank NULLS FIRST
