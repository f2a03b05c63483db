-- Counters at the as-of instant: open backlog (mart.event_sla.is_open), of which overdue
-- (overdue_open: handling not finished, deadline passed), and events reported / cases closed in
-- the window [$start, $stop) (the last days up to as-of); $class_code NULL = every class.
SELECT count(*) FILTER (s.is_open)                                     AS open,
       count(*) FILTER (s.overdue_open)                                AS overdue,
       count(*) FILTER (s.reported_at >= $start AND s.reported_at < $stop) AS reported,
       count(*) FILTER (s.closed_at >= $start AND s.closed_at < $stop)     AS closed
FROM mart.event_sla s
WHERE starts_with(s.grid_code, $scope) AND ($class_code IS NULL OR s.class_code = $class_code)
