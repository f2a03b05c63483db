-- department: not applicable (the area layer only, no events or persons)
-- The detailed polygons (GeoJSON geometry text) of the listed areas inside $scope, whatever their
-- level: the few hot grids and an incident's area drawn inline on the warning map.
SELECT code, geometry_json
FROM core.map_shapes
WHERE variant = 'detail' AND list_contains($codes, code) AND starts_with(code, $scope)
ORDER BY code
