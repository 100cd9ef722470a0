WITH base AS (
  SELECT {{.Col "region"}} AS region, {{.Col "revenue"}} AS revenue,
         {{if .Has "profit"}}{{.Col "profit"}}{{else}}NULL::DOUBLE{{end}} AS profit,
         {{if .Has "brand"}}{{.Col "brand"}}{{else}}NULL::VARCHAR{{end}} AS brand
         {{- if .Has "date"}}, {{.Col "date"}} AS d{{end}}
  FROM {{.Table}} WHERE {{.Where}}
),
{{- if .Has "date"}}
{{template "bounds" .}},
{{template "periods" .}},
{{- end}}
g AS (
  SELECT region, sum(revenue) AS revenue, sum(profit) AS profit, count(*) AS transactions
  {{- if .Has "date"}},
         {{template "label" (.With "min(p.cur_start)")}} AS last_period,
         coalesce(sum(revenue) FILTER (WHERE d >= p.cur_start AND d < p.cur_next), 0) AS last_period_revenue,
         CASE WHEN bool_and(p.ok) THEN coalesce(sum(revenue) FILTER (WHERE d >= p.prev_start AND d < p.cur_start), 0) END AS previous_period_revenue
  FROM base, periods p
  {{- else}}, NULL::VARCHAR AS last_period, NULL::DOUBLE AS last_period_revenue, NULL::DOUBLE AS previous_period_revenue
  FROM base{{end}}
  GROUP BY region
),
lead AS (
  SELECT region, brand AS leading_brand, sum(revenue) AS leading_brand_revenue
  FROM base WHERE brand IS NOT NULL GROUP BY region, brand
  QUALIFY row_number() OVER (PARTITION BY region ORDER BY sum(revenue) DESC, brand) = 1
)
SELECT row_number() OVER (ORDER BY g.revenue DESC NULLS LAST, g.region) AS rank,
       g.region, g.revenue, g.revenue / NULLIF(sum(g.revenue) OVER (), 0) * 100 AS share_pct,
       g.profit, g.profit / NULLIF(g.revenue, 0) * 100 AS margin_pct, g.transactions,
       g.last_period, g.last_period_revenue, g.previous_period_revenue,
       (g.last_period_revenue - g.previous_period_revenue) / NULLIF(abs(g.previous_period_revenue), 0) * 100 AS growth_pct,
       l.leading_brand, l.leading_brand_revenue, l.leading_brand_revenue / NULLIF(g.revenue, 0) * 100 AS leading_brand_share_pct
FROM g LEFT JOIN lead l USING (region)
ORDER BY rank
