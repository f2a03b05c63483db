-- Volunteer teams (志愿服务队) founded by the as-of date in the viewer's area: an organisation's
-- name, type, community, members and cumulative service hours. No volunteer is named.
SELECT t.team_id, t.name AS team_name, t.team_type, coalesce(c.name, t.community_code) AS community_name,
       t.members, t.service_hours
FROM core.volunteer_teams t
CROSS JOIN ops.meta m
LEFT JOIN core.areas_in_force c ON c.code = t.community_code AND c.level = 'community'
WHERE starts_with(t.community_code, $scope) AND t.founded_date <= m.as_of::DATE
ORDER BY t.service_hours DESC, t.team_id
