-- One board's events per day and class (大类) over the window [$start, $stop).
SELECT e.reported_at::DATE AS day, e.class_name, count(*) AS events
FROM core.events e
JOIN core.event_categories c USING (subclass_code)
WHERE c.board = $board AND starts_with(e.grid_code, $scope)
  AND e.reported_at >= $start AND e.reported_at < $stop
GROUP BY ALL
ORDER BY day, e.class_name
