WITH {{template "bounds" .}},
{{- /* Rows are first summed per day: truncating a handful of days is far cheaper than
       truncating every row. */}}
daily AS MATERIALIZED (
  SELECT {{.Col "date"}} AS d, sum({{.Dim "measure"}}) AS s, count({{.Dim "measure"}}) AS c, count(*) AS n
  FROM {{.Table}} WHERE {{.Where}} AND {{.Col "date"}} IS NOT NULL
  GROUP BY 1
),
g AS (
  SELECT date_trunc({{.P "bucket"}}, d)::DATE AS bucket_start, sum(n) AS rows,
         CASE {{.P "agg"}} WHEN 'mean' THEN sum(s) / sum(c) WHEN 'count' THEN sum(c)::DOUBLE ELSE sum(s) END AS value
  FROM daily GROUP BY 1
),
b AS (
  SELECT bucket_start,
         (bucket_start + CASE {{.P "bucket"}} WHEN 'day' THEN INTERVAL 1 DAY WHEN 'week' THEN INTERVAL 7 DAY
              WHEN 'month' THEN INTERVAL 1 MONTH ELSE INTERVAL 3 MONTH END - INTERVAL 1 DAY)::DATE AS bucket_end,
         value, rows
  FROM g
),
c AS (
  SELECT b.*, bucket_start >= lo AND bucket_end <= hi AS complete,
         row_number() OVER (ORDER BY bucket_start) AS idx,
         lag(value) OVER (ORDER BY bucket_start) AS prev_value
  FROM b, bounds
),
gr AS (
  SELECT *, (value - prev_value) / NULLIF(abs(prev_value), 0) * 100 AS growth_pct,
         complete AND lag(complete) OVER (ORDER BY bucket_start) AS growth_complete
  FROM c
),
fit AS (
  SELECT regr_slope(value, idx) FILTER (WHERE complete) AS trend_slope,
         stddev_samp(growth_pct) FILTER (WHERE growth_complete) AS volatility_pct,
         count(*) AS buckets
  FROM gr
)
SELECT bucket_start, bucket_end, value, rows, growth_pct, complete, trend_slope, volatility_pct, buckets
FROM gr, fit
ORDER BY bucket_start
