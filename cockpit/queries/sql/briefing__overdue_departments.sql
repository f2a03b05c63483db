-- 简报: per responsible department, the cases overdue at $cutoff (the rule of
-- mart.event_sla.overdue_open at that instant: a deadline passed, not handled by then, not
-- 不予立案), those overdue for more than 7 days, the same count a week before ($cutoff − 7 days),
-- and the open cases (reported, not closed by then). Departments with none of them are left out.
WITH p AS (
    SELECT CAST($cutoff AS TIMESTAMP) AS cutoff, CAST($cutoff AS TIMESTAMP) - INTERVAL 7 DAY AS before
), e AS (
    SELECT coalesce(e.department, '未指派') AS department, e.reported_at, e.deadline, e.handled_at,
           e.closed_at, p.cutoff, p.before
    FROM core.events e, p
    WHERE starts_with(e.grid_code, $scope) AND e.status <> '不予立案' AND e.reported_at <= p.cutoff
), flagged AS (
    SELECT *,
           deadline < cutoff AND (handled_at IS NULL OR handled_at > cutoff)        AS overdue,
           reported_at <= before AND deadline < before
               AND (handled_at IS NULL OR handled_at > before)                       AS overdue_before,
           closed_at IS NULL OR closed_at > cutoff                                   AS open
    FROM e
)
SELECT department,
       count(*) FILTER (overdue)                                            AS overdue,
       count(*) FILTER (overdue AND deadline < cutoff - INTERVAL 7 DAY)     AS overdue_week,
       count(*) FILTER (overdue_before)                                     AS overdue_before,
       count(*) FILTER (open)                                               AS open,
       max(date_diff('day', deadline, cutoff)) FILTER (overdue)             AS longest_days
FROM flagged
GROUP BY department
HAVING count(*) FILTER (overdue OR overdue_before) > 0
ORDER BY overdue DESC, overdue_before DESC, department
