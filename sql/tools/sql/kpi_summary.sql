{{- /* Rows are first summed per day (one pass), then totals and period growth come from the days. */ -}}
WITH daily AS MATERIALIZED (
  SELECT {{if .Has "date"}}{{.Col "date"}}{{else}}NULL::DATE{{end}} AS d, count(*) AS n,
         sum({{.Col "revenue"}}) AS revenue,
         sum({{if .Has "units"}}{{.Col "units"}}{{else}}NULL::DOUBLE{{end}}) AS units,
         sum({{if .Has "profit"}}{{.Col "profit"}}{{else}}NULL::DOUBLE{{end}}) AS profit,
         sum({{if .Has "cost"}}{{.Col "cost"}}{{else}}NULL::DOUBLE{{end}}) AS cost
  FROM {{.Table}} WHERE {{.Where}}
  GROUP BY 1
){{if .Has "date"}},
{{template "bounds" .}},
{{template "periods" .}},
growth AS (
  SELECT CASE WHEN bool_and(p.cur_ok) THEN {{template "label" (.With "min(p.cur_start)")}} END AS last_period,
         CASE WHEN bool_and(p.ok) THEN {{template "label" (.With "min(p.prev_start)")}} END AS previous_period,
         CASE WHEN bool_and(p.cur_ok) THEN coalesce(sum(revenue) FILTER (WHERE d >= p.cur_start AND d < p.cur_next), 0) END AS last_period_revenue,
         CASE WHEN bool_and(p.ok) THEN coalesce(sum(revenue) FILTER (WHERE d >= p.prev_start AND d < p.cur_start), 0) END AS previous_period_revenue,
         min(p.partial) AS partial_periods,
         CASE WHEN NOT bool_and(p.cur_ok) THEN 'no complete ' || {{.P "period"}} || ' between ' || min(strftime(b.lo, '%Y-%m-%d')) || ' and ' || min(strftime(b.hi, '%Y-%m-%d')) || '; growth left out'
              WHEN NOT bool_and(p.ok) THEN 'no complete ' || {{.P "period"}} || ' before ' || {{template "label" (.With "min(p.cur_start)")}} || '; growth left out' END AS growth_note
  FROM daily, periods p, bounds b
){{end}}
SELECT coalesce(sum(n), 0) AS transactions, sum(revenue) AS total_revenue, sum(profit) AS total_profit,
       sum(cost) AS total_cost, sum(units) AS total_units,
       sum(profit) / NULLIF(sum(revenue), 0) * 100 AS margin_pct,
       sum(revenue) / NULLIF(sum(units), 0) AS avg_price,
       sum(revenue) / NULLIF(sum(n), 0) AS revenue_per_transaction,
       sum(units) / NULLIF(sum(n), 0) AS units_per_transaction,
       {{if .Has "date"}}min(g.last_period) AS last_period, min(g.previous_period) AS previous_period,
       min(g.last_period_revenue) AS last_period_revenue, min(g.previous_period_revenue) AS previous_period_revenue,
       (min(g.last_period_revenue) - min(g.previous_period_revenue)) / NULLIF(abs(min(g.previous_period_revenue)), 0) * 100 AS revenue_growth_pct,
       min(g.partial_periods) AS partial_periods, min(g.growth_note) AS growth_note
       {{- else}}NULL::VARCHAR AS last_period, NULL::VARCHAR AS previous_period, NULL::DOUBLE AS last_period_revenue,
       NULL::DOUBLE AS previous_period_revenue, NULL::DOUBLE AS revenue_growth_pct,
       NULL::VARCHAR AS partial_periods, NULL::VARCHAR AS growth_note{{end}}
FROM daily{{if .Has "date"}}, growth g{{end}}
