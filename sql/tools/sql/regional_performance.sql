{{- /* One pass over the rows, per region and brand, summing the two compared periods with
       FILTER clauses (the date bounds are one min/max over the date column); region
       totals, growth and the leading brand are derived from that small table. */ -}}
WITH {{if .Has "date"}}{{template "bounds" .}},
{{template "periods" .}},
{{end}}rb AS MATERIALIZED (
  SELECT {{.Col "region"}} AS region, {{if .Has "brand"}}{{.Col "brand"}}{{else}}NULL::VARCHAR{{end}} AS brand,
         sum({{.Col "revenue"}}) AS revenue,
         sum({{if .Has "profit"}}{{.Col "profit"}}{{else}}NULL::DOUBLE{{end}}) AS profit, count(*) AS n
         {{- if .Has "date"}},
         sum({{.Col "revenue"}}) FILTER (WHERE {{.Col "date"}} >= p.cur_start AND {{.Col "date"}} < p.cur_next) AS cur_revenue,
         sum({{.Col "revenue"}}) FILTER (WHERE {{.Col "date"}} >= p.prev_start AND {{.Col "date"}} < p.cur_start) AS prev_revenue
         {{- end}}
  FROM {{.Table}}{{if .Has "date"}}, periods p{{end}} WHERE {{.Where}}
  GROUP BY 1, 2
),
totals AS (
  SELECT region, sum(revenue) AS revenue, sum(profit) AS profit, sum(n) AS transactions FROM rb GROUP BY region
),
growth AS (
  {{- if .Has "date"}}
  SELECT region, coalesce(sum(cur_revenue), 0) AS last_period_revenue,
         coalesce(sum(prev_revenue), 0) AS previous_period_revenue
  FROM rb GROUP BY 1
  {{- else}}
  SELECT NULL::VARCHAR AS region, NULL::DOUBLE AS last_period_revenue, NULL::DOUBLE AS previous_period_revenue WHERE false
  {{- end}}
),
g AS (
  SELECT t.*,
         {{if .Has "date"}}CASE WHEN p.cur_ok THEN {{template "label" (.With "p.cur_start")}} END{{else}}NULL::VARCHAR{{end}} AS last_period,
         {{if .Has "date"}}CASE WHEN p.cur_ok THEN coalesce(gr.last_period_revenue, 0) END{{else}}NULL::DOUBLE{{end}} AS last_period_revenue,
         {{if .Has "date"}}CASE WHEN p.ok THEN coalesce(gr.previous_period_revenue, 0) END{{else}}NULL::DOUBLE{{end}} AS previous_period_revenue
  FROM totals t LEFT JOIN growth gr USING (region){{if .Has "date"}} CROSS JOIN periods p{{end}}
),
lead AS (
  SELECT region, brand AS leading_brand, revenue AS leading_brand_revenue
  FROM rb WHERE brand IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY region ORDER BY revenue DESC, brand) = 1
)
SELECT row_number() OVER (ORDER BY g.revenue DESC NULLS LAST, g.region) AS rank,
       g.region, g.revenue, g.revenue / NULLIF(sum(g.revenue) OVER (), 0) * 100 AS share_pct,
       g.profit, g.profit / NULLIF(g.revenue, 0) * 100 AS margin_pct, g.transactions,
       g.last_period, g.last_period_revenue, g.previous_period_revenue,
       (g.last_period_revenue - g.previous_period_revenue) / NULLIF(abs(g.previous_period_revenue), 0) * 100 AS growth_pct,
       l.leading_brand, l.leading_brand_revenue, l.leading_brand_revenue / NULLIF(g.revenue, 0) * 100 AS leading_brand_share_pct
FROM g LEFT JOIN lead l USING (region)
ORDER BY rank
