{{- /* Linear trend plus month-of-year seasonality, fitted by OLS on complete months:
       y = c[moy] + b*t. The slope is the within-month-of-year regression (Frisch–Waugh–Lovell),
       c[moy] = mean(y | moy) - b*mean(t | moy). Without a repeated month-of-year it falls back
       to a plain linear trend. Prediction intervals use Student's t with the residual degrees
       of freedom (n - k - 1 seasonal, n - 2 linear; quantiles bound as t_seasonal / t_linear)
       and the prediction variance of the period's sum of m months:
       s^2 * (m + sum 1/n_g + (sum (t - tbar_g))^2 / Sxx_w)  (seasonal; a period's months have
       distinct months of year, and the level means are uncorrelated with the slope), or
       s^2 * (m + m^2/n + (sum (t - tbar))^2 / Sxx)          (linear trend),
       so the slope estimate shared by a quarter's three months counts once, not three times.
       A month of year absent from the fit falls back to the linear trend; its covariance with
       the seasonal months of the same quarter is left out. */ -}}
WITH {{template "bounds" .}},
daily AS MATERIALIZED (
  SELECT {{.Col "date"}} AS d, sum({{.Dim "measure"}}) AS x
  FROM {{.Table}} WHERE {{.Where}} AND {{.Col "date"}} IS NOT NULL
  GROUP BY 1
),
m AS MATERIALIZED (
  SELECT date_trunc('month', d)::DATE AS month, sum(x) AS y FROM daily GROUP BY 1
),
obs AS MATERIALIZED (
  SELECT month, y, month(month) AS moy, (year(month) * 12 + month(month) - 1)::DOUBLE AS t
  FROM m, bounds WHERE month >= lo AND last_day(month) <= hi
),
grp AS MATERIALIZED (
  SELECT moy, count(*) AS n_g, avg(y) AS ybar_g, avg(t) AS tbar_g FROM obs GROUP BY moy
),
w AS (
  SELECT sum((o.t - g.tbar_g) * (o.y - g.ybar_g)) AS sxy_w, sum((o.t - g.tbar_g) ^ 2) AS sxx_w,
         count(*) AS n, count(DISTINCT o.moy) AS k,
         regr_slope(o.y, o.t) AS b_lin, regr_intercept(o.y, o.t) AS a_lin, regr_sxx(o.y, o.t) AS sxx_lin,
         avg(o.t) AS tbar, min(o.month) AS fit_start, max(o.month) AS fit_end, max(o.t) AS t_last
  FROM obs o JOIN grp g USING (moy)
),
model AS (
  SELECT *, sxx_w > 0 AND n - k - 1 > 0 AS seasonal,
         CASE WHEN sxx_w > 0 AND n - k - 1 > 0 THEN sxy_w / sxx_w ELSE b_lin END AS b
  FROM w WHERE n >= 3
),
fitted AS (
  SELECT o.t, o.y, o.moy,
         CASE WHEN md.seasonal THEN g.ybar_g - md.b * g.tbar_g ELSE md.a_lin END AS c
  FROM obs o JOIN grp g USING (moy), model md
),
ss AS (
  SELECT sum((f.y - f.c - md.b * f.t) ^ 2) AS ssr FROM fitted f, model md
),
params AS MATERIALIZED (
  SELECT md.*, sqrt(ss.ssr / CASE WHEN md.seasonal THEN md.n - md.k - 1 ELSE greatest(md.n - 2, 1) END) AS s
  FROM model md, ss
),
levels AS (
  SELECT g.moy, g.n_g, g.tbar_g, g.ybar_g - p.b * g.tbar_g AS c FROM grp g, params p
),
horizon AS (
  SELECT CASE {{.P "granularity"}} WHEN 'quarter'
              THEN datediff('month', fit_end, date_trunc('quarter', fit_end) + INTERVAL 3 MONTH) - 1 + 3 * {{.P "periods"}}
              ELSE {{.P "periods"}} END AS months
  FROM params
),
fm AS (
  SELECT (p.fit_end + to_months(i::INTEGER))::DATE AS month, p.t_last + i AS t
  FROM params p, (SELECT unnest(generate_series(1, months)) AS i FROM horizon)
),
fc AS (
  SELECT fm.month, fm.t, p.seasonal AND l.c IS NOT NULL AS seas,
         CASE WHEN p.seasonal AND l.c IS NOT NULL THEN l.c ELSE p.a_lin + (p.b_lin - p.b) * fm.t END AS c,
         p.b * fm.t AS slope_part,
         CASE WHEN p.seasonal AND l.c IS NOT NULL THEN 1 / l.n_g END AS lev,
         CASE WHEN p.seasonal AND l.c IS NOT NULL THEN fm.t - l.tbar_g ELSE fm.t - p.tbar END AS dt
  FROM fm CROSS JOIN params p LEFT JOIN levels l ON l.moy = month(fm.month)
),
per AS (
  SELECT CASE {{.P "granularity"}} WHEN 'quarter' THEN date_trunc('quarter', month)::DATE ELSE month END AS period_start,
         sum(c + slope_part) AS forecast, count(*) AS m,
         coalesce(sum(lev), 0) AS lev_s, count(*) FILTER (WHERE NOT seas) AS m_lin,
         coalesce(sum(dt) FILTER (WHERE seas), 0) AS dt_s, coalesce(sum(dt) FILTER (WHERE NOT seas), 0) AS dt_lin
  FROM fc GROUP BY 1
),
var AS (
  SELECT per.*, per.m + per.lev_s + per.m_lin ^ 2 / p.n
                + CASE WHEN p.seasonal THEN per.dt_s ^ 2 / p.sxx_w ELSE 0 END
                + per.dt_lin ^ 2 / p.sxx_lin AS vsum
  FROM per, params p
)
SELECT per.period_start,
       (per.period_start + CASE {{.P "granularity"}} WHEN 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END - INTERVAL 1 DAY)::DATE AS period_end,
       per.forecast,
       per.forecast - q.t * p.s * sqrt(per.vsum) AS lower,
       per.forecast + q.t * p.s * sqrt(per.vsum) AS upper,
       {{.P "confidence"}} AS confidence_pct,
       CASE WHEN p.seasonal THEN 'trend+seasonal' ELSE 'trend' END AS model,
       p.b AS slope_per_month, p.s AS residual_sd, p.n AS fit_months,
       CASE WHEN p.seasonal THEN p.n - p.k - 1 ELSE p.n - 2 END AS residual_df, q.t AS t_quantile,
       p.fit_start, p.fit_end
FROM var per, params p,
     (SELECT CASE WHEN seasonal THEN {{.P "t_seasonal"}} ELSE {{.P "t_linear"}} END AS t FROM params) q
WHERE per.period_start > p.fit_end
ORDER BY per.period_start
