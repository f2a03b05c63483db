-- Counters inside the viewer's jurisdiction ($scope, an area-code prefix) for the window
-- [$start, $stop): the last days up to the data's as-of instant (queries/filters.py). 结案率 on GB/T 30428's denominator 应结案: cases whose deadline
-- falls in the window (due for closure in it); 结案 = those closed, 按期 = those closed whose
-- handling finished by the deadline. Cases not yet due are left out. mart.event_sla holds every
-- event reported by as-of with the lifecycle columns these need.
WITH scoped AS (
    SELECT e.reported_at, e.is_closed, e.closed_on_time,
           e.accepted_at IS NOT NULL AND e.deadline >= $start AND e.deadline < $stop AS due
    FROM mart.event_sla e
    WHERE starts_with(e.grid_code, $scope)
)
SELECT
    (SELECT coalesce(sum(residents), 0) FROM mart.area_population
     WHERE level = 'grid' AND starts_with(code, $scope))                          AS residents,
    (SELECT coalesce(sum(households), 0) FROM mart.area_population
     WHERE level = 'grid' AND starts_with(code, $scope))                          AS households,
    (SELECT count(*) FROM core.areas_in_force WHERE level = 'grid' AND starts_with(code, $scope))                                                AS grids,
    count(*) FILTER (reported_at >= $start AND reported_at < $stop)                AS events,
    count(*) FILTER (due)                                                          AS due,
    count(*) FILTER (due AND is_closed)                                            AS closed,
    count(*) FILTER (due AND closed_on_time)                                       AS closed_on_time
FROM scoped
