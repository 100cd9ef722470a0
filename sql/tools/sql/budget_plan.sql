{{- /* Allocation = total_budget × channel share × segment share.
       Channel share = channel weight / sum of weights (equal by default).
       Segment share ∝ max(weight_by, 0) share among the top_n segments × tier weight, where the
       segments ranked by weight_by are split in thirds into high, medium and low priority. */ -}}
WITH base AS NOT MATERIALIZED (
  SELECT {{.Dim "allocate_by"}} AS segment, {{.Dim "weight_by"}} AS x
  FROM {{.Table}} WHERE {{.Where}}
),
seg AS (
  SELECT segment, sum(x) AS metric_value,
         row_number() OVER (ORDER BY sum(x) DESC NULLS LAST, segment) AS segment_rank
  FROM base GROUP BY segment
  QUALIFY segment_rank <= {{.P "top_n"}}
),
tier AS (
  SELECT *, count(*) OVER () AS n,
         greatest(coalesce(metric_value, 0), 0) / NULLIF(sum(greatest(coalesce(metric_value, 0), 0)) OVER (), 0) AS metric_share
  FROM seg
),
pri AS (
  SELECT *, CASE WHEN segment_rank <= ceil(n / 3) THEN 'high' WHEN segment_rank <= ceil(2 * n / 3) THEN 'medium' ELSE 'low' END AS priority
  FROM tier
),
pw AS (
  SELECT pri.*, CASE priority
           WHEN 'high' THEN {{.Bind (index (.Arg "priority_weights") "high")}}
           WHEN 'medium' THEN {{.Bind (index (.Arg "priority_weights") "medium")}}
           ELSE {{.Bind (index (.Arg "priority_weights") "low")}} END AS priority_weight
  FROM pri
),
raw AS (
  SELECT *, coalesce(metric_share, 1.0 / n) * priority_weight AS raw_weight FROM pw
),
segs AS (
  SELECT *, coalesce(raw_weight / NULLIF(sum(raw_weight) OVER (), 0), 1.0 / n) AS segment_share FROM raw
),
ch(channel_order, channel, channel_weight) AS (
  VALUES {{$w := .Arg "channel_weights"}}{{range $i, $c := .Arg "channels"}}{{if $i}}, {{end}}({{$i}}, {{$.Bind $c}}, {{if $w}}{{$.Bind (index $w $i)}}{{else}}1.0::DOUBLE{{end}}){{end}}
),
chs AS (
  SELECT *, channel_weight / sum(channel_weight) OVER () AS channel_share FROM ch
)
SELECT c.channel, s.segment, {{.P "allocate_by"}} AS segment_role, s.priority, s.segment_rank,
       s.metric_value, {{.P "weight_by"}} AS weight_by, s.metric_share * 100 AS metric_share_pct,
       s.priority_weight, c.channel_share * 100 AS channel_share_pct, s.segment_share * 100 AS segment_share_pct,
       {{.P "total_budget"}} * c.channel_share * s.segment_share AS allocation,
       c.channel_share * s.segment_share * 100 AS allocation_pct
FROM chs c, segs s
ORDER BY c.channel_order, s.segment_rank
