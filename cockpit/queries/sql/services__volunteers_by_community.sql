-- Registered volunteers (registered by the as-of date) per community in the viewer's area, and
-- their cumulative service hours; the $top communities with the most volunteers. Counts only:
-- no name, ID or phone column is read.
SELECT v.community_code, coalesce(c.name, v.community_code) AS community_name,
       count(*) AS volunteers, sum(v.service_hours) AS service_hours
FROM core.volunteers v
CROSS JOIN ops.meta m
LEFT JOIN core.areas_in_force c ON c.code = v.community_code AND c.level = 'community'
WHERE starts_with(v.community_code, $scope) AND v.registered_date <= m.as_of::DATE
GROUP BY ALL
ORDER BY volunteers DESC, service_hours DESC, v.community_code
LIMIT $top
