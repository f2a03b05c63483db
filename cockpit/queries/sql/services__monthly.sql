-- Activities per month and project type in the viewer's area and period (same window as
-- services__counters.sql), from the activities themselves rather than mart.services_monthly:
-- a 30- or 90-day period starts mid-month, and the chart must add up to the counters.
-- Over whole months it equals the mart (checked in tests/cockpit/pages/test_services.py).
SELECT date_trunc('month', a.activity_date)::DATE AS month,
       coalesce(p.project_type, '未登记项目')      AS project_type,
       count(*)                                    AS activities,
       sum(a.participants)                         AS participants
FROM core.service_activities a
LEFT JOIN core.service_projects p USING (project_id)
WHERE starts_with(a.community_code, $scope)
  AND a.activity_date >= $start AND a.activity_date < $stop
GROUP BY ALL
ORDER BY month, project_type
