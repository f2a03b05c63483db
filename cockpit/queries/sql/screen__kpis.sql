-- Counters inside the viewer's jurisdiction ($scope, an area-code prefix) for the last $days days
-- up to the data's as-of instant. 结案率 on GB/T 30428's denominator 应结案: cases whose deadline
-- falls in the window (due for closure in it); 结案 = those closed, 按期 = those closed whose
-- handling finished by the deadline. Cases not yet due are left out. mart_event_sla holds every
-- event reported by as-of with the lifecycle columns these need.
WITH win AS (
    SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta
), scoped AS (
    SELECT e.reported_at, e.is_closed, e.closed_on_time, w.as_of, w.start_day,
           e.accepted_at IS NOT NULL AND e.deadline >= w.start_day AND e.deadline <= w.as_of AS due
    FROM mart_event_sla e, win w
    WHERE starts_with(e.grid_code, $scope)
)
SELECT
    (SELECT coalesce(sum(residents), 0) FROM mart_area_population
     WHERE level = 'grid' AND starts_with(code, $scope))                          AS residents,
    (SELECT coalesce(sum(households), 0) FROM mart_area_population
     WHERE level = 'grid' AND starts_with(code, $scope))                          AS households,
    (SELECT count(*) FROM areas_in_force WHERE level = 'grid' AND valid_to IS NULL
     AND starts_with(code, $scope))                                                AS grids,
    count(*) FILTER (reported_at >= start_day AND reported_at <= as_of)            AS events,
    count(*) FILTER (due)                                                          AS due,
    count(*) FILTER (due AND is_closed)                                            AS closed,
    count(*) FILTER (due AND closed_on_time)                                       AS closed_on_time
FROM scoped
