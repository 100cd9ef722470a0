{{- /* Compares each brand between two periods. Default current = the last complete period,
       default previous = the period just before current. */ -}}
WITH {{template "bounds" .}},
sel AS (
  SELECT cur_start, {{if .Set "previous"}}{{.LabelStart "previous"}}{{else}}(cur_start - {{template "step" .}})::DATE{{end}} AS prev_start
  FROM (SELECT {{if .Set "current"}}{{.LabelStart "current"}}{{else}}(date_trunc({{.P "period"}}, hi + INTERVAL 1 DAY) - {{template "step" .}})::DATE{{end}} AS cur_start FROM bounds)
),
p AS MATERIALIZED (
  SELECT cur_start, (cur_start + {{template "step" .}})::DATE AS cur_next,
         prev_start, (prev_start + {{template "step" .}})::DATE AS prev_next
  FROM sel
),
g AS (
  SELECT {{.Col "brand"}} AS brand,
         coalesce(sum({{.Dim "measure"}}) FILTER (WHERE {{.Col "date"}} < p.prev_next), 0) AS previous_value,
         coalesce(sum({{.Dim "measure"}}) FILTER (WHERE {{.Col "date"}} >= p.cur_start), 0) AS current_value,
         count(*) FILTER (WHERE {{.Col "date"}} < p.prev_next) AS previous_rows,
         count(*) FILTER (WHERE {{.Col "date"}} >= p.cur_start) AS current_rows
  FROM {{.Table}}, p
  WHERE {{.Where}}
    AND (({{.Col "date"}} >= p.prev_start AND {{.Col "date"}} < p.prev_next) OR ({{.Col "date"}} >= p.cur_start AND {{.Col "date"}} < p.cur_next))
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
       previous_value, current_value, current_value - previous_value AS change,
       (current_value - previous_value) / NULLIF(abs(previous_value), 0) * 100 AS change_pct
FROM g, p
ORDER BY change_pct ASC NULLS FIRST, change ASC, brand
