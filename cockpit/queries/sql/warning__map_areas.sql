-- 预警研判 map, base layer: the current areas of one level ($area_len digits: communities, or grids
-- for a community or grid account) inside the viewer's jurisdiction, each with the active alerts
-- on it or inside it (an alert's area code starts with the area's), and the strongest one's subclass.
-- Their polygons travel apart (cockpit/geometry.py).
WITH shown AS (
    SELECT a.code, a.name
    FROM areas a, meta m                 -- the versions in force at as-of, as map_shapes holds
    WHERE length(a.code) = $area_len AND starts_with(a.code, $scope)
      AND coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)
), inside AS (
    SELECT s.code, count(*) AS alerts, arg_max(a.subclass_name, a.score) AS top_subclass
    FROM shown s
    JOIN warning_alerts a ON a.active AND starts_with(a.area_code, s.code)
    GROUP BY s.code
)
SELECT s.code, s.name, coalesce(i.alerts, 0) AS alerts, i.top_subclass
FROM shown s
LEFT JOIN inside i USING (code)
ORDER BY s.code
