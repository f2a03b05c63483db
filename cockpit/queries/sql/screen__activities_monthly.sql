-- Service activities (志愿服务/服务项目活动) per month over the 12 months to the as-of month.
WITH m AS (SELECT date_trunc('month', as_of)::DATE AS this_month FROM ops.meta)
SELECT date_trunc('month', a.activity_date)::DATE AS month, p.project_type,
       count(*) AS activities, sum(a.participants) AS participants
FROM core.service_activities a
JOIN core.service_projects p USING (project_id)
CROSS JOIN m
WHERE starts_with(a.community_code, $scope)
  AND a.activity_date >= m.this_month - INTERVAL 11 MONTH
  AND a.activity_date < m.this_month + INTERVAL 1 MONTH
GROUP BY ALL
ORDER BY month, p.project_type
