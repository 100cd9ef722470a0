{{- /* Month-of-year index per group: the average of a month's totals over the years it was
       observed, divided by the mean of the twelve (or fewer) month averages, × 100. Only
       complete months count, so a partial first or last month does not skew its month.
       months_observed says how many months (years) each index rests on; below 2 it warns. */ -}}
WITH {{template "bounds" .}},
m AS (
  SELECT grp, make_date((mi // 12)::INTEGER, (mi % 12 + 1)::INTEGER, 1) AS month, total
  FROM (
    SELECT {{.Dim "by"}} AS grp, year({{.Col "date"}}) * 12 + month({{.Col "date"}}) - 1 AS mi, sum({{.Dim "measure"}}) AS total
    FROM {{.Table}} WHERE {{.Where}} AND {{.Col "date"}} IS NOT NULL
    GROUP BY 1, 2
  )
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
       CASE WHEN months_observed < 2 THEN 'rests on ' || months_observed || ' month: one year, not yet a seasonal pattern' END AS warning,
       season_index = max(season_index) OVER (PARTITION BY grp) AS is_peak,
       season_index = min(season_index) OVER (PARTITION BY grp) AS is_low,
       row_number() OVER (PARTITION BY grp ORDER BY season_index DESC, month) AS rank
FROM idx
ORDER BY group_name, month
