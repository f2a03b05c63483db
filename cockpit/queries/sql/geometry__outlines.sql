-- department: not applicable (the area layer only, no events or persons)
-- The simplified polygons (WKB) of one level inside $scope, in one variant: borders to draw.
SELECT code, geometry_wkb
FROM core.map_shapes
WHERE level = $level AND variant = $variant AND starts_with(code, $scope)
ORDER BY code
