-- Polygons (WKB, WGS-84) of the children of one drill position ($scope, narrowed on the server)
-- at the next level down ($child_len digits), the versions in force at the data's as-of instant
-- (the end of every period the map offers). Grids split or redrawn earlier keep their old rows
-- with valid_to set; those are not drawn (see grid_map__metrics.sql for their events).
SELECT a.code, a.geometry_wkb
FROM areas a, meta m
WHERE length(a.code) = $child_len AND starts_with(a.code, $scope)
  AND coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)
ORDER BY a.code
