{{- /* Ratios are ratios of sums (CTR = Σclicks / Σimpressions), never means of row ratios. */ -}}
WITH base AS NOT MATERIALIZED (
  SELECT {{.Dim "by"}} AS name,
         {{if eq (.Arg "bucket") "none"}}NULL::DATE{{else}}date_trunc({{.P "bucket"}}, {{.Col "date"}})::DATE{{end}} AS period_start,
         {{.Col "spend"}} AS spend,
         {{if .Has "impressions"}}{{.Col "impressions"}}{{else}}NULL::DOUBLE{{end}} AS impressions,
         {{if .Has "clicks"}}{{.Col "clicks"}}{{else}}NULL::DOUBLE{{end}} AS clicks,
         {{if .Has "conversions"}}{{.Col "conversions"}}{{else}}NULL::DOUBLE{{end}} AS conversions,
         {{if .Has "revenue"}}{{.Col "revenue"}}{{else}}NULL::DOUBLE{{end}} AS revenue
  FROM {{.Table}} WHERE {{.Where}}
),
g AS (
  SELECT period_start, name, sum(spend) AS spend, sum(impressions) AS impressions, sum(clicks) AS clicks,
         sum(conversions) AS conversions, sum(revenue) AS revenue
  FROM base GROUP BY period_start, name
),
m AS (
  SELECT *,
         clicks / NULLIF(impressions, 0) * 100 AS ctr_pct,
         spend / NULLIF(clicks, 0) AS cpc,
         spend / NULLIF(impressions, 0) * 1000 AS cpm,
         spend / NULLIF(conversions, 0) AS cpa,
         conversions / NULLIF(clicks, 0) * 100 AS conversion_rate_pct,
         revenue / NULLIF(spend, 0) AS roas,
         spend / NULLIF(sum(spend) OVER (PARTITION BY period_start), 0) * 100 AS spend_share_pct,
         conversions / NULLIF(sum(conversions) OVER (PARTITION BY period_start), 0) * 100 AS conversion_share_pct
  FROM g
),
r AS (
  SELECT *, conversion_share_pct - spend_share_pct AS share_gap_pct,
         row_number() OVER (PARTITION BY period_start ORDER BY
           CASE {{.P "sort_by"}} WHEN 'revenue' THEN revenue WHEN 'conversions' THEN conversions
                WHEN 'roas' THEN roas WHEN 'cpa' THEN -cpa ELSE spend END DESC NULLS LAST, name) AS rank
  FROM m
)
SELECT {{if ne (.Arg "bucket") "none"}}period_start, {{end}}rank, name, spend, impressions, clicks, conversions, revenue,
       ctr_pct, cpc, cpm, cpa, conversion_rate_pct, roas, spend_share_pct, conversion_share_pct, share_gap_pct
FROM r
WHERE rank <= {{.P "top_n"}}
ORDER BY period_start, rank
