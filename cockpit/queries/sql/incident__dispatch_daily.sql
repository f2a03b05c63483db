-- Dispatch delay (立案 → 派遣, elapsed minutes) of the cases opened (立案) on each day of the window
-- [$start, $stop) (the last days up to as-of) and dispatched in it; cases not yet dispatched are not in it (see the SLA
-- clock). Median = quantile_cont 0.5, P90 = quantile_cont 0.9.
WITH days AS (
    -- include: window_days
), d AS (
    SELECT e.accepted_at::DATE AS day, date_diff('second', e.accepted_at, e.dispatched_at) / 60.0 AS minutes
    FROM core.events e
    WHERE starts_with(e.grid_code, $scope) AND ($class_code IS NULL OR e.class_code = $class_code)
      AND e.accepted_at >= $start AND e.dispatched_at < $stop
)
SELECT days.day, count(d.minutes) AS cases,
       median(d.minutes) AS median_minutes, quantile_cont(d.minutes, 0.9) AS p90_minutes
FROM days LEFT JOIN d USING (day)
GROUP BY days.day
ORDER BY days.day
