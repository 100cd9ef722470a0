{{- /* One row of aggregates, which runProfile turns into one row per column: n, and
       per column i nn<i> (non-NULL values), lo<i>/hi<i> (min and max as text), mean<i>
       (numeric columns) and nd<i> (distinct values), then sample_rows and duplicate_rows.
       Column names, types and roles are not in the SQL; they come from the store's
       catalogue in Go. Up to exactLimit rows everything is exact. Above it, row and
       null counts and numeric/date min, max and mean stay exact over all rows, while
       distinct counts, text min/max and duplicate rows come from a ~20k-row system
       (vector) sample (sample_rows says how many rows; distinct_exact = false).
       Unfiltered above exactLimit, numeric/date min and max (Ranged) and the non-null
       count of a column without NULLs (NoNulls) come from the store's column statistics
       (exact, read without a scan) and are left out of the SQL. */ -}}
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
  {{- range $i, $c := .Columns}}{{if not $c.NoNulls}}, count({{$c.Q}}) AS nn{{$i}}{{end}}
    {{- if and (not $c.Ranged) (or $.Exact $c.Ordered)}}, min({{$c.Q}})::VARCHAR AS lo{{$i}}, max({{$c.Q}})::VARCHAR AS hi{{$i}}{{end}}
    {{- if $c.Numeric}}, avg({{$c.Q}})::DOUBLE AS mean{{$i}}{{end}}
  {{- end}}
  FROM base
),
smp_agg AS {{if not .Exact}}NOT {{end}}MATERIALIZED (
  SELECT count(*) AS sample_rows
  {{- range $i, $c := .Columns}}, count(DISTINCT {{$c.Q}}) AS nd{{$i}}
    {{- if not (or $.Exact $c.Ordered)}}, min({{$c.Q}})::VARCHAR AS lo{{$i}}, max({{$c.Q}})::VARCHAR AS hi{{$i}}{{end}}
  {{- end}}
  {{- if not .Exact}},
         count(*) - count(DISTINCT hash({{range $i, $c := .Columns}}{{if $i}}, {{end}}{{$c.Q}}{{end}})) AS duplicate_rows
  {{- end}}
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
SELECT * FROM full_agg, smp_agg{{if .Exact}}, dups{{end}}
