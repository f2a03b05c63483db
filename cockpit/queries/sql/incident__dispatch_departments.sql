-- Dispatch delay (立案 → 派遣, elapsed minutes) per department over the same cases as
-- incident__dispatch_daily.sql (opened and dispatched in [$start, $stop)), slowest P90 first.
SELECT coalesce(e.department, '未指派') AS department, count(*) AS cases,
       median(date_diff('second', e.accepted_at, e.dispatched_at) / 60.0) AS median_minutes,
       quantile_cont(date_diff('second', e.accepted_at, e.dispatched_at) / 60.0, 0.9) AS p90_minutes
FROM core.events e
WHERE starts_with(e.grid_code, $scope) AND ($class_code IS NULL OR e.class_code = $class_code)
  AND e.accepted_at >= $start AND e.dispatched_at < $stop
GROUP BY ALL
ORDER BY p90_minutes DESC, department
