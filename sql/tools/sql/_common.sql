{{- /* Shared definitions. Only identifiers from validated roles and bound placeholders are inserted. */ -}}

{{- /* bounds: the dataset's first and last day, narrowed by the date filters. */ -}}
{{define "bounds"}}bounds AS MATERIALIZED (
  SELECT {{if .Set "start_date"}}greatest(min(d0), {{.P "start_date"}}){{else}}min(d0){{end}} AS lo,
         {{if .Set "end_date"}}least(max(d0), {{.P "end_date"}}){{else}}max(d0){{end}} AS hi
  FROM (SELECT {{.Col "date"}} AS d0 FROM {{.Table}})
){{end}}

{{- /* step: the length of one "period" argument as an interval. */ -}}
{{define "step"}}(CASE {{.P "period"}} WHEN 'month' THEN INTERVAL 1 MONTH WHEN 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 YEAR END){{end}}

{{- /* periods: the last "period" that ends by the data's last day (cur) and the one before (prev);
       cur_ok when cur also starts on or after the first day (complete), ok when prev does too.
       partial lists the periods the bounds cut: the first (when lo is not its first day) and the
       last (when hi is not its last day), e.g. "2025-Q1 from 2025-02-01, 2025-Q2 to 2025-06-19". */ -}}
{{define "periods"}}periods AS MATERIALIZED (
  SELECT cur_start, (cur_start - {{template "step" .}})::DATE AS prev_start,
         (cur_start + {{template "step" .}})::DATE AS cur_next,
         cur_start >= lo AS cur_ok,
         (cur_start - {{template "step" .}})::DATE >= lo AS ok,
         nullif(concat_ws(', ',
           CASE WHEN date_trunc({{.P "period"}}, lo) < lo THEN {{template "label" (.With "lo")}} || ' from ' || strftime(lo, '%Y-%m-%d') END,
           CASE WHEN (date_trunc({{.P "period"}}, hi) + {{template "step" .}} - INTERVAL 1 DAY)::DATE > hi
                THEN {{template "label" (.With "hi")}} || ' to ' || strftime(hi, '%Y-%m-%d') END), '') AS partial
  FROM (SELECT (date_trunc({{.P "period"}}, hi + INTERVAL 1 DAY) - {{template "step" .}})::DATE AS cur_start, lo, hi FROM bounds)
){{end}}

{{- /* label: the period label (2024, 2024-Q1, 2024-03) of date expression x for argument "period". */ -}}
{{define "label"}}(CASE {{.P "period"}} WHEN 'month' THEN strftime({{.X}}, '%Y-%m') WHEN 'quarter' THEN strftime({{.X}}, '%Y') || '-Q' || quarter({{.X}}) ELSE strftime({{.X}}, '%Y') END){{end}}
