-- Registered volunteers per skill (服务专长; a volunteer lists one or two, separated by 、, and
-- counts once under each), with the service hours of those volunteers.
WITH v AS (
    SELECT v.volunteer_id, v.service_hours, unnest(string_split(v.skills, '、')) AS skill
    FROM core.volunteers v
    CROSS JOIN ops.meta m
    WHERE starts_with(v.community_code, $scope) AND v.registered_date <= m.as_of::DATE
)
SELECT trim(skill) AS skill, count(DISTINCT volunteer_id) AS volunteers, sum(service_hours) AS service_hours
FROM v
WHERE trim(skill) <> ''
GROUP BY ALL
ORDER BY volunteers DESC, skill
