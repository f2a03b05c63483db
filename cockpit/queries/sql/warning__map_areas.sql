-- 预警研判 map, base layer: the current areas of one level ($area_len digits: streets, communities, or
-- grids) inside the viewer's jurisdiction, each with the incidents on today's screen that have a grid
-- in it (an incident of a street or the district shades no single area: it is in the lists), and
-- the strongest one's subject.
-- Their polygons travel apart (cockpit/geometry.py).
WITH shown AS (
    SELECT a.code, a.name
    FROM core.areas_in_force a                         -- the versions in force at as-of, as map_shapes holds
    WHERE length(a.code) = $area_len AND starts_with(a.code, $scope)
), places AS (
    SELECT i.incident_id, i.subject, i.peak_score, g.grid_code AS code
    FROM warning.incidents i JOIN warning.incident_grids g USING (incident_id)
    WHERE i.on_screen AND i.level IN ('grid', 'community')
    UNION ALL
    SELECT incident_id, subject, peak_score, area_code FROM warning.incidents
    WHERE on_screen AND level NOT IN ('grid', 'community')
), inside AS (
    SELECT s.code, count(DISTINCT p.incident_id) AS incidents, arg_max(p.subject, p.peak_score) AS top_subject
    FROM shown s
    JOIN places p ON starts_with(p.code, s.code)
    GROUP BY s.code
)
SELECT s.code, s.name, coalesce(i.incidents, 0) AS incidents, i.top_subject
FROM shown s
LEFT JOIN inside i USING (code)
ORDER BY s.code
