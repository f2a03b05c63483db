-- Open needs in the viewer's area on the as-of date (every open need, whatever the period:
-- an old need still open is the one to chase), nearest to or furthest past their deadline.
-- Deadline and overdue as in services__needs_breakdown.sql (needs.deadline_date, working days).
-- days_left = working days from the as-of date to the deadline (negative: working days past it;
-- 0 with 已超期 = the deadline fell on the last working day before a non-working as-of date).
-- No personal data: no content text (free text may name people), no grid, no target group
-- (identity tags such as 独居老人 are sensitive; they are shown only in aggregate).
WITH win AS (
    SELECT as_of::DATE AS end_day FROM ops.meta
), open_needs AS (
    SELECT n.need_id, n.community_code, n.reported_date, n.domain, n.difficulty, n.urgency,
           n.responsible_unit, n.time_limit_days, n.status, n.deadline_date, w.end_day
    FROM core.needs n, win w
    WHERE starts_with(n.grid_code, $scope) AND n.reported_date <= w.end_day
      AND (n.resolved_date IS NULL OR n.resolved_date > w.end_day)
), today AS (
    SELECT coalesce(max(wd.n), 0) AS n_today FROM win w LEFT JOIN core.workdays wd ON wd.day <= w.end_day
)
SELECT x.need_id, coalesce(c.name, x.community_code) AS community_name, x.reported_date,
       x.domain, x.urgency, x.difficulty, x.responsible_unit, x.time_limit_days, x.status,
       x.deadline_date                                    AS deadline,
       d.n - t.n_today                                    AS days_left,
       x.deadline_date < x.end_day                        AS overdue
FROM open_needs x
CROSS JOIN today t
LEFT JOIN core.workdays d ON d.day = x.deadline_date
LEFT JOIN core.areas_in_force c ON c.code = x.community_code AND c.level = 'community'
ORDER BY days_left, x.reported_date, x.need_id
LIMIT $top
