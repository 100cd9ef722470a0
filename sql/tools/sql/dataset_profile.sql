{{- /* One row per column, from one aggregate pass plus a duplicate-row count. Column names
       come from the store's catalogue (quoted); they are output as bound values. Above
       exactLimit rows, distinct counts are HyperLogLog estimates (distinct_exact = false) and
       duplicates are counted by 64-bit row hash (a collision needs ~4e9 rows to be likely). */ -}}
WITH base AS NOT MATERIALIZED (
  SELECT * FROM {{.Table}} WHERE {{.Where}}
),
agg AS (
  SELECT count(*) AS n
  {{- range $i, $c := .Columns}},
    count({{$c.Q}}) AS nn{{$i}}, {{if $.Exact}}count(DISTINCT {{$c.Q}}){{else}}approx_count_distinct({{$c.Q}}){{end}} AS nd{{$i}},
    min({{$c.Q}})::VARCHAR AS lo{{$i}}, max({{$c.Q}})::VARCHAR AS hi{{$i}},
    {{if $c.Numeric}}avg({{$c.Q}})::DOUBLE{{else}}NULL::DOUBLE{{end}} AS mean{{$i}}
  {{- end}}
  FROM base
),
dups AS (
  {{- if .Exact}}
  SELECT (SELECT count(*) FROM base) - (SELECT count(*) FROM (SELECT DISTINCT * FROM base)) AS duplicate_rows
  {{- else}}
  SELECT count(*) - count(DISTINCT hash({{range $i, $c := .Columns}}{{if $i}}, {{end}}{{$c.Q}}{{end}})) AS duplicate_rows FROM base
  {{- end}}
)
{{- range $i, $c := .Columns}}
{{if $i}}UNION ALL {{end}}SELECT {{$i}} + 1 AS position, {{$.Bind $c.Name}} AS column_name, {{$.Bind $c.Type}} AS type,
  {{$.Bind $c.Role}} AS role, n AS rows, nn{{$i}} AS non_null, n - nn{{$i}} AS nulls,
  (n - nn{{$i}}) / NULLIF(n, 0) * 100 AS null_pct, nd{{$i}} AS distinct_values,
  lo{{$i}} AS min, hi{{$i}} AS max, mean{{$i}} AS mean, duplicate_rows, {{$.Exact}} AS distinct_exact
FROM agg, dups
{{- end}}
ORDER BY position
