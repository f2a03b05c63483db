-- Counters at the as-of instant: open backlog (mart_event_sla.is_open), of which overdue
-- (overdue_open: handling not finished, deadline passed), and events reported / cases closed in
-- the last $days days up to as-of.
WITH win AS (
    SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta
)
SELECT count(*) FILTER (s.is_open)                                              AS open,
       count(*) FILTER (s.overdue_open)                                         AS overdue,
       count(*) FILTER (s.reported_at >= w.start_day AND s.reported_at <= w.as_of) AS reported,
       count(*) FILTER (s.closed_at >= w.start_day AND s.closed_at <= w.as_of)     AS closed
FROM mart_event_sla s, win w
WHERE starts_with(s.grid_code, $scope) AND ($class_code = '' OR s.class_code = $class_code)
