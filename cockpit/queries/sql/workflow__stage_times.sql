-- Time per workflow stage, in elapsed (calendar) hours, of the cases CLOSED in the period
-- [$start, $stop) up to the as-of instant: a closed case has every stage stamped, so each stage is
-- measured on the same cases. Median = quantile_cont 0.5, P90 = quantile_cont 0.9 (linear
-- interpolation, as pandas' default). $department NULL means all departments.
WITH closed AS (
    SELECT e.reported_at, e.accepted_at, e.dispatched_at, e.handled_at, e.verified_at, e.closed_at
    FROM core.events e, ops.meta m
    WHERE starts_with(e.grid_code, $scope)
      AND e.closed_at >= $start AND e.closed_at < $stop AND e.closed_at <= m.as_of
      AND ($department IS NULL OR e.department = $department)
), stages AS (
    SELECT 1 AS stage_order, '上报→立案' AS stage, date_diff('second', reported_at, accepted_at) AS s FROM closed
    UNION ALL SELECT 2, '立案→派遣', date_diff('second', accepted_at, dispatched_at) FROM closed
    UNION ALL SELECT 3, '派遣→处置', date_diff('second', dispatched_at, handled_at) FROM closed
    UNION ALL SELECT 4, '处置→核查', date_diff('second', handled_at, verified_at) FROM closed
    UNION ALL SELECT 5, '核查→结案', date_diff('second', verified_at, closed_at) FROM closed
)
SELECT stage_order, stage, count(s) AS cases,
       median(s / 3600.0)                AS median_hours,
       quantile_cont(s / 3600.0, 0.9)    AS p90_hours
FROM stages
GROUP BY stage_order, stage
ORDER BY stage_order
