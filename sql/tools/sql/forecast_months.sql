{{- /* The complete months sales_forecast fits on, after the filters: how many (n), how many
       distinct months of year (k), and the bounds they lie in. */ -}}
WITH {{template "bounds" .}},
m AS (
  SELECT DISTINCT date_trunc('month', {{.Col "date"}})::DATE AS month
  FROM {{.Table}} WHERE {{.Where}} AND {{.Col "date"}} IS NOT NULL
),
c AS (SELECT m.month FROM m, bounds WHERE m.month >= lo AND last_day(m.month) <= hi)
SELECT (SELECT count(*) FROM c) AS n, (SELECT count(DISTINCT month(month)) FROM c) AS k,
       strftime(lo, '%Y-%m-%d') AS lo, strftime(hi, '%Y-%m-%d') AS hi
FROM bounds
