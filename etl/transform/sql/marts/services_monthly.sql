-- Services and needs per community and month: activities and participants by project type,
-- needs raised and resolved and those open past their deadline (working days, core needs.sql)
-- as of meta.as_of.
WITH activities AS (
    SELECT a.community_code, date_trunc('month', a.activity_date)::DATE AS month, p.project_type,
           count(*) AS activities, sum(a.participants) AS participants, sum(a.volunteers) AS volunteers
    FROM wh.core.service_activities a LEFT JOIN wh.core.service_projects p USING (project_id)
    GROUP BY ALL
), needs AS (
    SELECT community_code, date_trunc('month', reported_date)::DATE AS month,
           count(*) AS needs_raised,
           count(*) FILTER (resolved_date IS NOT NULL) AS needs_resolved,
           count(*) FILTER (resolved_date IS NULL
                            AND deadline_date < meta.as_of::DATE)        AS needs_overdue
    FROM wh.core.needs, wh.ops.meta GROUP BY ALL
)
SELECT community_code, left(community_code, 9) AS street_code, left(community_code, 6) AS district_code,
       month, project_type, activities, participants, volunteers,
       NULL::BIGINT AS needs_raised, NULL::BIGINT AS needs_resolved, NULL::BIGINT AS needs_overdue
FROM activities
UNION ALL
SELECT community_code, left(community_code, 9), left(community_code, 6), month, NULL, NULL, NULL, NULL,
       needs_raised, needs_resolved, needs_overdue
FROM needs
