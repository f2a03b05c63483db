-- Dispatch delay (立案 → 派遣, elapsed minutes) per department over the same cases as
-- incident__dispatch_daily.sql (opened in the last $days days, dispatched by as-of), slowest P90 first.
WITH win AS (
    SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta
)
SELECT coalesce(e.department, '未指派') AS department, count(*) AS cases,
       median(date_diff('second', e.accepted_at, e.dispatched_at) / 60.0) AS median_minutes,
       quantile_cont(date_diff('second', e.accepted_at, e.dispatched_at) / 60.0, 0.9) AS p90_minutes
FROM events e, win w
WHERE starts_with(e.grid_code, $scope) AND ($class_code = '' OR e.class_code = $class_code)
  AND e.accepted_at >= w.start_day AND e.dispatched_at <= w.as_of
GROUP BY ALL
ORDER BY p90_minutes DESC, department
