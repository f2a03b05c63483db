-- department: not applicable (the area layer only, no events or persons)
-- Every area in force at as-of in the viewer's jurisdiction (areas_in_force: grids that were
-- split or redrawn keep their other versions in `areas`).
SELECT a.code, a.name, a.level, a.kind, a.parent_code, a.centroid_lon, a.centroid_lat
FROM core.areas_in_force a
WHERE starts_with(a.code, $scope)
ORDER BY a.code
