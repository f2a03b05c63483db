-- Dispatch delay (立案 → 派遣, elapsed minutes) of the cases opened (立案) on each of the last $days
-- days up to as-of and dispatched by then; cases not yet dispatched are not in it (see the SLA
-- clock). Median = quantile_cont 0.5, P90 = quantile_cont 0.9.
WITH win AS (
    SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta
), days AS (
    SELECT unnest(generate_series(w.start_day, w.as_of::DATE, INTERVAL 1 DAY))::DATE AS day FROM win w
), d AS (
    SELECT e.accepted_at::DATE AS day, date_diff('second', e.accepted_at, e.dispatched_at) / 60.0 AS minutes
    FROM events e, win w
    WHERE starts_with(e.grid_code, $scope) AND ($class_code = '' OR e.class_code = $class_code)
      AND e.accepted_at >= w.start_day AND e.dispatched_at <= w.as_of
)
SELECT days.day, count(d.minutes) AS cases,
       median(d.minutes) AS median_minutes, quantile_cont(d.minutes, 0.9) AS p90_minutes
FROM days LEFT JOIN d USING (day)
GROUP BY days.day
ORDER BY days.day
