WITH base AS NOT MATERIALIZED (
  SELECT {{.Dim "dimension"}} AS name, {{.Col "revenue"}} AS revenue, {{.Col "cost"}} AS cost, {{.Col "profit"}} AS profit
  FROM {{.Table}} WHERE {{.Where}}
),
g AS (
  SELECT name, sum(revenue) AS revenue, sum(cost) AS cost, sum(profit) AS profit
  FROM base GROUP BY name
),
r AS (
  SELECT name, revenue, cost, profit,
         profit / NULLIF(cost, 0) * 100 AS roi_pct,
         profit / NULLIF(revenue, 0) * 100 AS margin_pct,
         {{if .Set "investment"}}{{.P "investment"}}{{else}}NULL::DOUBLE{{end}} AS investment
  FROM g
)
SELECT {{.P "dimension"}} AS dimension,
       row_number() OVER (ORDER BY roi_pct DESC NULLS LAST, name) AS rank,
       name, revenue, cost, profit, roi_pct, margin_pct, investment,
       investment * profit / NULLIF(cost, 0) AS projected_profit,
       investment * revenue / NULLIF(cost, 0) AS projected_revenue
FROM r
QUALIFY rank <= {{.P "top_n"}}
ORDER BY rank
