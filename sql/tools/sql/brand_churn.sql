{{- /* Compares each brand between two periods. Default current = the last period that ends
       by the data's last day (or, when the period before it has no day in the data, the
       period holding the last day), default previous = the period just before current. A period cut
       by the data's edges or the date filters is compared like for like: both periods are
       narrowed to the days they have in common, counted from each period's start (current
       2025 up to 06-19 against previous 2024 up to 06-19). Without a day in common the tool
       refuses with an error. */ -}}
WITH {{template "bounds" .}},
sel AS (
  SELECT cur_start, {{if .Set "previous"}}{{.LabelStart "previous"}}{{else}}(cur_start - {{template "step" .}})::DATE{{end}} AS prev_start, lo, hi
  FROM (SELECT {{if .Set "current"}}{{.LabelStart "current"}}{{else}}CASE WHEN last_full > lo THEN last_full ELSE date_trunc({{.P "period"}}, hi)::DATE END{{end}} AS cur_start, lo, hi
        FROM (SELECT *, (date_trunc({{.P "period"}}, hi + INTERVAL 1 DAY) - {{template "step" .}})::DATE AS last_full FROM bounds))
),
cov AS (
  SELECT *, datediff('month', prev_start, cur_start) AS k,
         greatest(cur_start, lo) AS cf, least((cur_start + {{template "step" .}} - INTERVAL 1 DAY)::DATE, hi) AS ct,
         greatest(prev_start, lo) AS pf, least((prev_start + {{template "step" .}} - INTERVAL 1 DAY)::DATE, hi) AS pt,
         (cur_start + {{template "step" .}} - INTERVAL 1 DAY)::DATE AS cur_end, (prev_start + {{template "step" .}} - INTERVAL 1 DAY)::DATE AS prev_end
  FROM sel
),
win AS (
  SELECT *, greatest(cf, (pf + to_months(k::INTEGER))::DATE) AS a, least(ct, (pt + to_months(k::INTEGER))::DATE) AS b FROM cov
),
p AS MATERIALIZED (
  SELECT cur_start, prev_start, a AS cur_from, b AS cur_to, a AS current_from, b AS current_to,
         (a - to_months(k::INTEGER))::DATE AS prev_from, (b - to_months(k::INTEGER))::DATE AS prev_to,
         (a - to_months(k::INTEGER))::DATE AS previous_from, (b - to_months(k::INTEGER))::DATE AS previous_to,
         a > cur_start OR b < cur_end OR (a - to_months(k::INTEGER))::DATE > prev_start OR (b - to_months(k::INTEGER))::DATE < prev_end AS partial,
         CASE WHEN a > b THEN error('brand_churn: the data (' || strftime(lo, '%Y-%m-%d') || ' to ' || strftime(hi, '%Y-%m-%d')
              || ') has no days of ' || {{template "label" (.With "cur_start")}} || ' that ' || {{template "label" (.With "prev_start")}}
              || ' also covers; choose periods inside the data') END AS refuse
  FROM win
),
g AS (
  SELECT {{.Col "brand"}} AS brand,
         coalesce(sum({{.Dim "measure"}}) FILTER (WHERE {{.Col "date"}} <= p.prev_to), 0) AS previous_value,
         coalesce(sum({{.Dim "measure"}}) FILTER (WHERE {{.Col "date"}} >= p.cur_from), 0) AS current_value,
         count(*) FILTER (WHERE {{.Col "date"}} <= p.prev_to) AS previous_rows,
         count(*) FILTER (WHERE {{.Col "date"}} >= p.cur_from) AS current_rows
  FROM {{.Table}}, p
  WHERE {{.Where}} AND p.refuse IS NULL
    AND (({{.Col "date"}} >= p.prev_from AND {{.Col "date"}} <= p.prev_to) OR ({{.Col "date"}} >= p.cur_from AND {{.Col "date"}} <= p.cur_to))
  GROUP BY 1
)
SELECT brand,
       CASE WHEN previous_rows = 0 THEN 'new'
            WHEN current_rows = 0 THEN 'lost'
            WHEN (current_value - previous_value) / NULLIF(abs(previous_value), 0) * 100 < -{{.P "threshold_pct"}} THEN 'declining'
            WHEN (current_value - previous_value) / NULLIF(abs(previous_value), 0) * 100 > {{.P "threshold_pct"}} THEN 'growing'
            ELSE 'stable' END AS status,
       {{template "label" (.With "p.prev_start")}} AS previous_period,
       {{template "label" (.With "p.cur_start")}} AS current_period,
       p.previous_from, p.previous_to, p.current_from, p.current_to,
       CASE WHEN p.partial THEN 'like for like: the days both periods have in the data' ELSE 'full periods' END AS comparison,
       previous_value, current_value, current_value - previous_value AS change,
       (current_value - previous_value) / NULLIF(abs(previous_value), 0) * 100 AS change_pct
FROM g, p
ORDER BY change_pct ASC NULLS FIRST, change ASC, brand
