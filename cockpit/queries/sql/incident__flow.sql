-- Inflow against closures per day for the last $days days up to the as-of day: 上报 = events
-- reported that day (refused ones included), 结案 = cases closed that day.
WITH win AS (
    SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta
), days AS (
    SELECT unnest(generate_series(w.start_day, w.as_of::DATE, INTERVAL 1 DAY))::DATE AS day FROM win w
), scoped AS (
    SELECT e.reported_at, e.closed_at FROM events e, win w
    WHERE starts_with(e.grid_code, $scope) AND ($class_code = '' OR e.class_code = $class_code)
      AND (e.reported_at >= w.start_day OR e.closed_at >= w.start_day)
), rep AS (
    SELECT reported_at::DATE AS day, count(*) AS n FROM scoped, win
    WHERE reported_at <= win.as_of GROUP BY ALL
), clo AS (
    SELECT closed_at::DATE AS day, count(*) AS n FROM scoped, win
    WHERE closed_at <= win.as_of GROUP BY ALL
)
SELECT d.day, coalesce(rep.n, 0) AS reported, coalesce(clo.n, 0) AS closed
FROM days d LEFT JOIN rep USING (day) LEFT JOIN clo USING (day)
ORDER BY d.day
