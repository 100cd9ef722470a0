WITH base AS NOT MATERIALIZED (
  SELECT {{.Dim "dimension"}} AS name, {{.Col "revenue"}} AS revenue, {{.Col "cost"}} AS cost, {{.Col "profit"}} AS profit
  FROM {{.Table}} WHERE {{.Where}}
),
g AS (
  SELECT name, sum(revenue) AS revenue, sum(cost) AS cost, sum(profit) AS profit, count(*) AS transactions
  FROM base GROUP BY name
)
SELECT {{.P "dimension"}} AS dimension,
       row_number() OVER (ORDER BY profit DESC NULLS LAST, name) AS rank,
       name, revenue, cost, profit,
       profit / NULLIF(revenue, 0) * 100 AS margin_pct,
       profit / NULLIF(cost, 0) * 100 AS roi_pct,
       revenue / NULLIF(sum(revenue) OVER (), 0) * 100 AS revenue_share_pct,
       profit / NULLIF(sum(profit) OVER (), 0) * 100 AS profit_share_pct,
       transactions
FROM g
QUALIFY rank <= {{.P "top_n"}}
ORDER BY rank
