{{- /* Every bucket from the first to the last day of the data (after the date filters) is
       listed, including buckets without a sale (value 0 for sum and count, NULL for mean;
       rows 0), so the trend's x axis is elapsed time. Buckets cut by the data's edges are
       flagged incomplete and left out of trend and volatility; growth_partial flags growth
       computed from or against such a bucket. */ -}}
WITH {{template "bounds" .}},
{{- /* Rows are first summed per day: truncating a handful of days is far cheaper than
       truncating every row. */}}
daily AS MATERIALIZED (
  SELECT {{.Col "date"}} AS d, sum({{.Dim "measure"}}) AS s, count({{.Dim "measure"}}) AS c, count(*) AS n
  FROM {{.Table}} WHERE {{.Where}} AND {{.Col "date"}} IS NOT NULL
  GROUP BY 1
),
step AS (
  SELECT CASE {{.P "bucket"}} WHEN 'day' THEN INTERVAL 1 DAY WHEN 'week' THEN INTERVAL 7 DAY
              WHEN 'month' THEN INTERVAL 1 MONTH ELSE INTERVAL 3 MONTH END AS i
),
cal AS (
  SELECT unnest(generate_series(date_trunc({{.P "bucket"}}, lo), hi::TIMESTAMP, i))::DATE AS bucket_start
  FROM bounds, step WHERE lo IS NOT NULL AND lo <= hi AND EXISTS (SELECT 1 FROM daily)
),
g AS (
  SELECT date_trunc({{.P "bucket"}}, d)::DATE AS bucket_start, sum(n) AS rows,
         CASE {{.P "agg"}} WHEN 'mean' THEN sum(s) / sum(c) WHEN 'count' THEN sum(c)::DOUBLE ELSE sum(s) END AS value
  FROM daily GROUP BY 1
),
b AS (
  SELECT cal.bucket_start, (cal.bucket_start + step.i - INTERVAL 1 DAY)::DATE AS bucket_end,
         CASE WHEN g.value IS NULL AND {{.P "agg"}} <> 'mean' THEN 0 ELSE g.value END AS value,
         coalesce(g.rows, 0) AS rows
  FROM cal CROSS JOIN step LEFT JOIN g USING (bucket_start)
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
         count(*) AS buckets, count(*) FILTER (WHERE rows = 0) AS empty_buckets
  FROM gr
)
SELECT bucket_start, bucket_end, value, rows, growth_pct, complete,
       CASE WHEN growth_pct IS NULL THEN NULL ELSE NOT growth_complete END AS growth_partial,
       trend_slope, volatility_pct, buckets, empty_buckets
FROM gr, fit
ORDER BY bucket_start
