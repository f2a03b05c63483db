-- 预警研判 map, hot grids: the current grids inside the viewer's jurisdiction that an incident on
-- today's screen covers (grid, 片区 or community incidents), with the strongest one's subject and
-- kind. (Polygons: geometry__by_codes.sql.)
WITH grids AS (
    SELECT a.code, a.name
    FROM core.areas_in_force a                         -- the versions in force at as-of, as map_shapes holds
    WHERE a.level = 'grid' AND starts_with(a.code, $scope)
)
SELECT g.code, g.name, count(DISTINCT i.incident_id) AS incidents,
       arg_max(i.subject, i.peak_score) AS top_subject, arg_max(i.kind_name, i.peak_score) AS kind_name,
       bool_or(i.kind = 'drop') AS has_drop
FROM grids g
JOIN warning.incident_grids ig ON ig.grid_code = g.code
JOIN warning.incidents i ON i.incident_id = ig.incident_id AND i.on_screen AND i.level IN ('grid', 'community')
GROUP BY g.code, g.name
ORDER BY g.code
