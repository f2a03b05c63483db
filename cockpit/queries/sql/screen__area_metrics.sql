-- Per area one level down the big screen's map ($child_len: 12 = communities, 15 = grids) in the
-- viewer's jurisdiction: residents, events in the window [$start, $stop), per 1,000 residents and
-- 应结案 / 结案 (same definitions as screen__kpis.sql), with the parent's name for the hover.
WITH scoped AS (
    SELECT left(e.grid_code, $child_len) AS code, e.reported_at, e.is_closed,
           e.accepted_at IS NOT NULL AND e.deadline >= $start AND e.deadline < $stop AS due
    FROM mart.event_sla e                  -- every event reported by as-of, lifecycle included
    WHERE starts_with(e.grid_code, $scope)
), ev AS (
    SELECT code,
           count(*) FILTER (reported_at >= $start AND reported_at < $stop)     AS events,
           count(*) FILTER (due)                                               AS due,
           count(*) FILTER (due AND is_closed)                                 AS closed
    FROM scoped
    GROUP BY code
)
SELECT c.code, c.name, c.kind, s.name AS parent_name,
       coalesce(p.residents, 0)  AS residents,
       coalesce(p.households, 0) AS households,
       coalesce(ev.events, 0)    AS events,
       round(1000.0 * coalesce(ev.events, 0) / nullif(p.residents, 0), 1) AS events_per_1000,
       coalesce(ev.due, 0)       AS due,
       coalesce(ev.closed, 0)    AS closed
FROM core.areas_in_force c
JOIN core.areas_in_force s ON s.code = c.parent_code
LEFT JOIN mart.area_population p ON p.code = c.code
LEFT JOIN ev ON ev.code = c.code
WHERE length(c.code) = $child_len AND starts_with(c.code, $scope)
ORDER BY c.code
