-- Per day of the last $days days: events reported that day, and events closed (结案) that day.
WITH win AS (SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta),
days AS (
    SELECT unnest(generate_series(w.start_day, w.as_of::DATE, INTERVAL 1 DAY))::DATE AS day FROM win w
), scoped AS (
    SELECT e.reported_at, e.closed_at FROM events e, win w
    WHERE starts_with(e.grid_code, $scope)
      AND (e.reported_at >= w.start_day OR e.closed_at >= w.start_day)
), reported AS (
    SELECT reported_at::DATE AS day, count(*) AS n FROM scoped, win w
    WHERE reported_at <= w.as_of GROUP BY 1
), closed AS (
    SELECT closed_at::DATE AS day, count(*) AS n FROM scoped, win w
    WHERE closed_at <= w.as_of GROUP BY 1
)
SELECT d.day, coalesce(r.n, 0) AS reported, coalesce(c.n, 0) AS closed
FROM days d
LEFT JOIN reported r USING (day)
LEFT JOIN closed c USING (day)
ORDER BY d.day
