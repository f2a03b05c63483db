-- The $limit most frequent subclasses (小类) reported in the last $days days.
WITH win AS (SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta)
SELECT e.subclass_name, e.class_name, count(*) AS events
FROM events e, win w
WHERE starts_with(e.grid_code, $scope) AND e.reported_at >= w.start_day AND e.reported_at <= w.as_of
GROUP BY e.subclass_name, e.class_name
ORDER BY events DESC, e.subclass_name
LIMIT $limit
