{{- /* Shared definitions. Only identifiers from validated roles and bound placeholders are inserted. */ -}}

{{- /* bounds: the dataset's first and last day, narrowed by the date filters. */ -}}
{{define "bounds"}}bounds AS MATERIALIZED (
  SELECT {{if .Set "start_date"}}greatest(min(d0), {{.P "start_date"}}){{else}}min(d0){{end}} AS lo,
         {{if .Set "end_date"}}least(max(d0), {{.P "end_date"}}){{else}}max(d0){{end}} AS hi
  FROM (SELECT {{.Col "date"}} AS d0 FROM {{.Table}})
){{end}}

{{- /* step: the length of one "period" argument as an interval. */ -}}
{{define "step"}}(CASE {{.P "period"}} WHEN 'month' THEN INTERVAL 1 MONTH WHEN 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 YEAR END){{end}}

{{- /* periods: the last complete "period" (cur) and the one before (prev); ok when prev is complete too. */ -}}
{{define "periods"}}periods AS MATERIALIZED (
  SELECT cur_start, (cur_start - {{template "step" .}})::DATE AS prev_start,
         (cur_start + {{template "step" .}})::DATE AS cur_next,
         (cur_start - {{template "step" .}})::DATE >= lo AS ok
  FROM (SELECT (date_trunc({{.P "period"}}, hi + INTERVAL 1 DAY) - {{template "step" .}})::DATE AS cur_start, lo FROM bounds)
){{end}}

{{- /* label: the period label (2024, 2024-Q1, 2024-03) of date expression x for argument "period". */ -}}
{{define "label"}}(CASE {{.P "period"}} WHEN 'month' THEN strftime({{.X}}, '%Y-%m') WHEN 'quarter' THEN strftime({{.X}}, '%Y') || '-Q' || quarter({{.X}}) ELSE strftime({{.X}}, '%Y') END){{end}}
