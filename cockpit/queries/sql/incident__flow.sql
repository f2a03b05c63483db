-- Inflow against closures per day of the window [$start, $stop) (the last days up to as-of): 上报 =
-- events reported that day (refused ones included), 结案 = cases closed that day.
WITH days AS (
    -- include: window_days
), scoped AS (
    SELECT e.reported_at, e.closed_at FROM core.events e
    WHERE starts_with(e.grid_code, $scope) AND ($class_code IS NULL OR e.class_code = $class_code)
      AND (e.reported_at >= $start OR e.closed_at >= $start)
), rep AS (
    SELECT reported_at::DATE AS day, count(*) AS n FROM scoped
    WHERE reported_at < $stop GROUP BY ALL
), clo AS (
    SELECT closed_at::DATE AS day, count(*) AS n FROM scoped
    WHERE closed_at < $stop GROUP BY ALL
)
SELECT d.day, coalesce(rep.n, 0) AS reported, coalesce(clo.n, 0) AS closed
FROM days d LEFT JOIN rep USING (day) LEFT JOIN clo USING (day)
ORDER BY d.day
