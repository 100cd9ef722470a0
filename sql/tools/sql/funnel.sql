{{- /* One row per group and stage; rates are ratios of sums. */ -}}
WITH g AS (
  SELECT {{.Dim "by"}} AS name, sum({{.Col "impressions"}}) AS impressions, sum({{.Col "clicks"}}) AS clicks,
         sum({{.Col "conversions"}}) AS conversions
  FROM {{.Table}} WHERE {{.Where}}
  GROUP BY 1
),
top AS (
  SELECT *, row_number() OVER (ORDER BY impressions DESC NULLS LAST, name) AS rank FROM g
)
SELECT rank, name, s.stage_order, s.stage, s.count,
       s.count / NULLIF(s.prev, 0) * 100 AS rate_from_previous_pct,
       s.count / NULLIF(impressions, 0) * 100 AS rate_from_top_pct,
       s.prev - s.count AS drop_off
FROM top, LATERAL (VALUES (1, 'impressions', impressions, NULL::DOUBLE),
                          (2, 'clicks', clicks, impressions),
                          (3, 'conversions', conversions, clicks)) s(stage_order, stage, count, prev)
WHERE rank <= {{.P "top_n"}}
ORDER BY rank, s.stage_order
