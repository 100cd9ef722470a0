WITH base AS NOT MATERIALIZED (
  SELECT {{.Dim "dimension"}} AS name, {{.Dim "measure"}} AS x
  FROM {{.Table}} WHERE {{.Where}}
),
g AS (
  SELECT name, sum(x) AS value FROM base GROUP BY name
),
s AS (
  SELECT name, value, value / NULLIF(sum(value) OVER (), 0) * 100 AS share_pct,
         row_number() OVER (ORDER BY value DESC NULLS LAST, name) AS rank,
         count(*) OVER () AS competitors
  FROM g
),
c AS (
  SELECT *, sum(share_pct) OVER (ORDER BY rank) AS cumulative_share_pct,
         sum(share_pct ^ 2) OVER () AS hhi,
         sum(share_pct) FILTER (WHERE rank <= 3) OVER () AS top3_share_pct,
         sum(share_pct) FILTER (WHERE rank <= 5) OVER () AS top5_share_pct
  FROM s
)
SELECT rank, name, value, share_pct, cumulative_share_pct,
       CASE WHEN rank = 1 THEN 'leader' WHEN rank <= 3 THEN 'challenger'
            WHEN share_pct >= 100.0 / competitors THEN 'follower' ELSE 'niche' END AS position,
       hhi, top3_share_pct, top5_share_pct, competitors
FROM c
WHERE rank <= {{.P "top_n"}}
ORDER BY rank
