-- department: not applicable (the area layer only, no events or persons)
-- The simplified polygons (GeoJSON geometry text, etl/transform/map_shapes.py) of one level inside
-- $scope, in force at the as-of instant, in one variant (detail / overview).
SELECT code, geometry_json
FROM core.map_shapes
WHERE level = $level AND variant = $variant AND starts_with(code, $scope)
ORDER BY code
