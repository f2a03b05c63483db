-- department: not applicable (the area layer only, no events or persons)
-- Every area in the viewer's jurisdiction, current versions only (grids that were split or
-- redrawn keep their old rows with valid_to set), with the names of its parents.
SELECT a.code, a.name, a.level, a.kind, a.parent_code, a.centroid_lon, a.centroid_lat
FROM areas_in_force a
WHERE starts_with(a.code, $scope) AND a.valid_to IS NULL
ORDER BY a.code
