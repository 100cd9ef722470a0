WITH base AS NOT MATERIALIZED (
  SELECT {{.Col "brand"}} AS brand, {{.Col "revenue"}} AS revenue,
         {{if .Has "units"}}{{.Col "units"}}{{else}}NULL::DOUBLE{{end}} AS units,
         {{if .Has "profit"}}{{.Col "profit"}}{{else}}NULL::DOUBLE{{end}} AS profit
  FROM {{.Table}} WHERE {{.Where}}
),
g AS (
  SELECT brand, sum(revenue) AS revenue, sum(units) AS units, sum(profit) AS profit, count(*) AS transactions
  FROM base GROUP BY brand
),
m AS (
  SELECT brand, revenue, units, profit,
         profit / NULLIF(revenue, 0) * 100 AS margin_pct,
         revenue / NULLIF(units, 0) AS avg_price,
         revenue / NULLIF(sum(revenue) OVER (), 0) * 100 AS share_pct,
         transactions
  FROM g
)
SELECT row_number() OVER (ORDER BY CASE {{.P "sort_by"}} WHEN 'units' THEN units WHEN 'profit' THEN profit
           WHEN 'margin' THEN margin_pct ELSE revenue END DESC NULLS LAST, brand) AS rank,
       brand, revenue, units, profit, margin_pct, avg_price, share_pct, transactions
FROM m
QUALIFY rank <= {{.P "top_n"}}
ORDER BY rank
