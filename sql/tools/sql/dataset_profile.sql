{{- /* One row per column. Column names come from the store's catalogue (quoted) and are
       output as bound values. Up to exactLimit rows everything is exact. Above it, row and
       null counts and numeric/date min, max and mean stay exact over all rows, while distinct
       counts, text min/max and duplicate rows come from a ~20k-row system (vector) sample
       (sample_rows says how many rows; distinct_exact = false). Unfiltered above exactLimit,
       numeric/date min and max and the non-null count of a column without NULLs come from
       the store's column statistics (Ranged, NoNulls: exact, read without a scan). */ -}}
WITH base AS NOT MATERIALIZED (
  SELECT {{range $i, $c := .Columns}}{{if $i}}, {{end}}{{$c.Q}}{{end}} FROM {{.Table}} WHERE {{.Where}}
),
{{- if .Exact}}
smp AS NOT MATERIALIZED (SELECT * FROM base),
{{- end}}
{{- /* Above exactLimit the two aggregates are subqueries of one cross product (not
       materialized CTEs, which DuckDB runs one after the other): the sample's
       aggregation need not wait for the full scan, and no CTE is written and read back. */}}
full_agg AS {{if not .Exact}}NOT {{end}}MATERIALIZED (
  SELECT count(*) AS n
  {{- range $i, $c := .Columns}}, {{if $c.NoNulls}}count(*){{else}}count({{$c.Q}}){{end}} AS nn{{$i}}
    {{- if $c.Ranged}}, {{$.BindText $c.Lo}} AS lo{{$i}}, {{$.BindText $c.Hi}} AS hi{{$i}}
    {{- else if or $.Exact $c.Ordered}}, min({{$c.Q}})::VARCHAR AS lo{{$i}}, max({{$c.Q}})::VARCHAR AS hi{{$i}}{{end}}
    {{- if $c.Numeric}}, avg({{$c.Q}})::DOUBLE AS mean{{$i}}{{else}}, NULL::DOUBLE AS mean{{$i}}{{end}}
  {{- end}}
  FROM base
),
smp_agg AS {{if not .Exact}}NOT {{end}}MATERIALIZED (
  SELECT count(*) AS sample_rows
  {{- range $i, $c := .Columns}}, count(DISTINCT {{$c.Q}}) AS nd{{$i}}
    {{- if not (or $.Exact $c.Ordered)}}, min({{$c.Q}})::VARCHAR AS lo{{$i}}, max({{$c.Q}})::VARCHAR AS hi{{$i}}{{end}}
  {{- end}},
         count(*) - count(DISTINCT hash({{range $i, $c := .Columns}}{{if $i}}, {{end}}{{$c.Q}}{{end}})) AS hashed_dups
  {{- if .Exact}}
  FROM smp
  {{- else}}
  {{- /* Sampling the table itself (then filtering) lets DuckDB skip the unsampled row
         vectors in the scan instead of reading every row and dropping most; the
         aggregates read the scan directly (a materialized sample cost a third more). */}}
  FROM {{.Table}} TABLESAMPLE {{.SamplePct}}% (system, 7) WHERE {{.Where}}
  {{- end}}
)
{{- if .Exact}},
dups AS MATERIALIZED (
  SELECT (SELECT count(*) FROM base) - (SELECT count(*) FROM (SELECT DISTINCT * FROM base)) AS duplicate_rows
)
{{- end}}
SELECT unnest([
  {{- range $i, $c := .Columns}}{{if $i}},{{end}}
    {'position': {{$i}} + 1, 'column_name': {{$.Bind $c.Name}}, 'type': {{$.Bind $c.Type}}, 'role': {{$.Bind $c.Role}},
     'rows': n, 'non_null': nn{{$i}}, 'nulls': n - nn{{$i}}, 'null_pct': (n - nn{{$i}}) / NULLIF(n, 0) * 100,
     'distinct_values': nd{{$i}}, 'min': lo{{$i}}, 'max': hi{{$i}}, 'mean': mean{{$i}}}
  {{- end}}
  ], recursive := true),
  {{if .Exact}}duplicate_rows{{else}}hashed_dups AS duplicate_rows{{end}}, {{$.Exact}} AS distinct_exact, sample_rows
FROM full_agg, smp_agg{{if .Exact}}, dups{{end}}
