-- One board's events per day and class (大类) over the last $days days.
WITH win AS (SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta)
SELECT e.reported_at::DATE AS day, e.class_name, count(*) AS events
FROM events e
JOIN event_categories c USING (subclass_code)
CROSS JOIN win w
WHERE c.board = $board AND starts_with(e.grid_code, $scope)
  AND e.reported_at >= w.start_day AND e.reported_at <= w.as_of
GROUP BY ALL
ORDER BY day, e.class_name
