-- department: not applicable (the area layer only, no events or persons)
-- The bounds (lon/lat) of one level's polygons inside $scope.
SELECT min(minx) AS minx, min(miny) AS miny, max(maxx) AS maxx, max(maxy) AS maxy
FROM core.map_shapes
WHERE level = $level AND variant = 'detail' AND starts_with(code, $scope)
