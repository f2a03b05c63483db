-- Per day of the window [$start, $stop): events reported that day, and events closed (结案) that day.
WITH days AS (
    -- include: window_days
), scoped AS (
    SELECT e.reported_at, e.closed_at FROM core.events e
    WHERE starts_with(e.grid_code, $scope)
      AND (e.reported_at >= $start OR e.closed_at >= $start)
), reported AS (
    SELECT reported_at::DATE AS day, count(*) AS n FROM scoped
    WHERE reported_at < $stop GROUP BY 1
), closed AS (
    SELECT closed_at::DATE AS day, count(*) AS n FROM scoped
    WHERE closed_at < $stop GROUP BY 1
)
SELECT d.day, coalesce(r.n, 0) AS reported, coalesce(c.n, 0) AS closed
FROM days d
LEFT JOIN reported r USING (day)
LEFT JOIN closed c USING (day)
ORDER BY d.day
