-- Events reported in the last $days days (to the as-of instant) by source channel.
WITH win AS (SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta)
SELECT e.source, count(*) AS events
FROM events e, win w
WHERE starts_with(e.grid_code, $scope) AND e.reported_at >= w.start_day AND e.reported_at <= w.as_of
GROUP BY e.source
ORDER BY events DESC, e.source
