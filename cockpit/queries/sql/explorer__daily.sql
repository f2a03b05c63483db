-- Events per day reported for the explorer's filters (same WHERE as explorer__rows.sql); their
-- sum is the total count of matching events shown above the table.
SELECT e.reported_at::DATE AS day, count(*) AS events
FROM events e
WHERE starts_with(e.grid_code, $scope)
  AND e.reported_at >= CAST($start_day AS DATE)
  AND e.reported_at < CAST($end_day AS DATE) + INTERVAL 1 DAY
  AND ($class_code IS NULL OR e.class_code = $class_code)
  AND ($subclass_code IS NULL OR e.subclass_code = $subclass_code)
  AND ($source IS NULL OR e.source = $source)
  AND ($status IS NULL OR e.status = $status)
  AND ($department IS NULL OR e.department = $department)
GROUP BY day
ORDER BY day
