WITH base AS NOT MATERIALIZED (
  SELECT {{.Dim "dimension"}} AS name, {{.Dim "measure"}} AS x
  FROM {{.Table}} WHERE {{.Where}}
),
g AS (
  SELECT name, count(x) AS observations,
         CASE {{.P "agg"}} WHEN 'mean' THEN avg(x) WHEN 'count' THEN count(x)::DOUBLE
              WHEN 'stddev' THEN stddev_samp(x) ELSE sum(x) END AS value,
         stddev_samp(x) / NULLIF(abs(avg(x)), 0) * 100 AS within_cv_pct
  FROM base GROUP BY name
),
s AS (
  SELECT *, row_number() OVER (ORDER BY value DESC NULLS LAST, name) AS rank,
         count(*) OVER () AS groups,
         max(value) OVER () AS leader_value,
         avg(value) OVER () AS mean_value,
         stddev_samp(value) OVER () AS sd_value,
         CASE WHEN {{.P "agg"}} IN ('sum', 'count') THEN value / NULLIF(sum(value) OVER (), 0) * 100 END AS share_pct
  FROM g
)
SELECT rank, CASE WHEN rank <= {{.P "top_n"}} THEN 'top' ELSE 'bottom' END AS segment,
       name, value, share_pct, value - leader_value AS gap_to_leader, value - mean_value AS gap_to_mean,
       value / NULLIF(mean_value, 0) * 100 AS pct_of_mean, observations, within_cv_pct,
       mean_value, sd_value / NULLIF(abs(mean_value), 0) * 100 AS cv_across_groups_pct, groups
FROM s
WHERE rank <= {{.P "top_n"}} OR rank > groups - {{.P "top_n"}}
ORDER BY rank
