-- Events reported in the window [$start, $stop) by source channel.
SELECT e.source, count(*) AS events
FROM core.events e
WHERE starts_with(e.grid_code, $scope) AND e.reported_at >= $start AND e.reported_at < $stop
GROUP BY e.source
ORDER BY events DESC, e.source
