{{- /* Month-of-year index per group: the average of a month's totals over the years it was
       observed, divided by the mean of the twelve (or fewer) month averages, × 100. Only
       complete months count, so a partial first or last month does not skew its month. */ -}}
WITH {{template "bounds" .}},
base AS (
  SELECT {{.Dim "by"}} AS grp, {{.Col "date"}} AS d, {{.Dim "measure"}} AS x
  FROM {{.Table}} WHERE {{.Where}} AND {{.Col "date"}} IS NOT NULL
),
m AS (
  SELECT grp, date_trunc('month', d)::DATE AS month, sum(x) AS total
  FROM base GROUP BY ALL
),
moy AS (
  SELECT grp, month(month) AS month, avg(total) AS avg_value, count(*) AS months_observed
  FROM m, bounds WHERE month >= lo AND last_day(month) <= hi
  GROUP BY ALL
),
idx AS (
  SELECT *, avg_value / NULLIF(avg(avg_value) OVER (PARTITION BY grp), 0) * 100 AS season_index
  FROM moy
)
SELECT {{.P "by"}} AS by_role, grp AS group_name, month, monthname(make_date(2000, month, 1)) AS month_name,
       avg_value, season_index, months_observed,
       season_index = max(season_index) OVER (PARTITION BY grp) AS is_peak,
       season_index = min(season_index) OVER (PARTITION BY grp) AS is_low,
       row_number() OVER (PARTITION BY grp ORDER BY season_index DESC, month) AS rank
FROM idx
ORDER BY group_name, month
