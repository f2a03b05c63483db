-- The $limit most frequent subclasses (小类) reported in the window [$start, $stop).
SELECT e.subclass_name, e.class_name, count(*) AS events
FROM core.events e
WHERE starts_with(e.grid_code, $scope) AND e.reported_at >= $start AND e.reported_at < $stop
GROUP BY e.subclass_name, e.class_name
ORDER BY events DESC, e.subclass_name
LIMIT $limit
