{{- /* dataset_profile's aggregates, which runProfile turns into one row per column:
       n, and per column i nn<i> (non-NULL values), lo<i>/hi<i> (min and max as text),
       mean<i> (numeric columns) and nd<i> (distinct values), then sample_rows and
       duplicate_rows. Column names, types and roles are not in the SQL; they come from
       the store's catalogue in Go. Up to exactLimit rows everything is exact and this
       file's own template reads it all in one row. Above it, row and null counts and
       numeric/date min, max and mean stay exact over all rows, while distinct counts,
       text min/max and duplicate rows come from a ~20k-row system (vector) sample
       (sample_rows says how many rows; distinct_exact = false): profile_sampled.
       Unfiltered above exactLimit, numeric/date min and max (Ranged) and the non-null
       count of a column without NULLs (NoNulls) come from the store's column statistics
       (exact, read without a scan) and are left out of the SQL. */ -}}
{{- define "profile_base"}}WITH base AS NOT MATERIALIZED (
  SELECT {{range $i, $c := .Columns}}{{if $i}}, {{end}}{{$c.Q}}{{end}} FROM {{.Table}} WHERE {{.Where}}
)
{{- end}}

{{- define "profile_full_agg"}}
  SELECT count(*) AS n
  {{- range $i, $c := .Columns}}{{if not $c.NoNulls}}, count({{$c.Q}}) AS nn{{$i}}{{end}}
    {{- if and (not $c.Ranged) (or $.Exact $c.Ordered)}}, min({{$c.Q}})::VARCHAR AS lo{{$i}}, max({{$c.Q}})::VARCHAR AS hi{{$i}}{{end}}
    {{- if $c.Numeric}}, avg({{$c.Q}})::DOUBLE AS mean{{$i}}{{end}}
  {{- end}}
  FROM base
{{- end}}

{{- define "profile_sample_agg"}}
  {{- /* A FROM list of one-row subqueries over src: sample_rows (and above exactLimit
         text min/max and duplicate_rows), then each column's count(DISTINCT) on its
         own: one aggregate with all of them cost ~1.3-1.5x the CPU. */}}
  {{- $src := "base"}}{{if not .Exact}}{{$src = "smp"}}{{end}}
  (SELECT count(*) AS sample_rows
  {{- range $i, $c := .Columns}}
    {{- if not (or $.Exact $c.Ordered)}}, min({{$c.Q}})::VARCHAR AS lo{{$i}}, max({{$c.Q}})::VARCHAR AS hi{{$i}}{{end}}
  {{- end}}
  {{- if not .Exact}},
         count(*) - count(DISTINCT hash({{range $i, $c := .Columns}}{{if $i}}, {{end}}{{$c.Q}}{{end}})) AS duplicate_rows
  {{- end}}
  FROM {{$src}})
  {{- range $i, $c := .Columns}},
    (SELECT count(DISTINCT {{$c.Q}}) AS nd{{$i}} FROM {{$src}})
  {{- end}}
{{- end}}

{{- define "profile_smp"}}
  {{- /* Sampling the table itself (then filtering) lets DuckDB skip the unsampled row
         vectors in the scan instead of reading every row and dropping most. The sample
         is materialized because every distinct count reads it. */}}
  SELECT {{range $i, $c := .Columns}}{{if $i}}, {{end}}{{$c.Q}}{{end}} FROM {{.Table}} TABLESAMPLE {{.SamplePct}}% (system, 7) WHERE {{.Where}}
{{- end}}

{{- /* Above exactLimit rows: the full scan's aggregates, as one struct column full_scan,
       and the sample's in one query (as two queries run side by side they cost ~10 % more
       CPU and wall time). Unfiltered, the catalog keeps full_scan per content fingerprint
       (with the column statistics), so a repeated profile of unchanged data reads only the
       sample (profile_sample). */ -}}
{{- define "profile_sampled"}}{{template "profile_base" .}},
smp AS MATERIALIZED ({{template "profile_smp" .}}
)
SELECT * FROM (SELECT full_scan FROM ({{template "profile_full_agg" .}}
) AS full_scan),{{template "profile_sample_agg" .}}
{{- end}}

{{- /* The full scan's aggregates alone: what Catalog.Prepare keeps after a load (and,
       rendered unfiltered, the key they are kept under). */ -}}
{{- define "profile_full"}}{{template "profile_base" .}}{{template "profile_full_agg" .}}
{{- end}}

{{- define "profile_sample"}}WITH smp AS MATERIALIZED ({{template "profile_smp" .}}
)
SELECT * FROM{{template "profile_sample_agg" .}}
{{- end}}

{{- /* Up to exactLimit rows: everything in one query. */ -}}
{{template "profile_base" .}},
full_agg AS MATERIALIZED ({{template "profile_full_agg" .}}
),
smp_agg AS MATERIALIZED (SELECT * FROM{{template "profile_sample_agg" .}}
),
dups AS MATERIALIZED (
  SELECT (SELECT count(*) FROM base) - (SELECT count(*) FROM (SELECT DISTINCT * FROM base)) AS duplicate_rows
)
SELECT * FROM full_agg, smp_agg, dups
