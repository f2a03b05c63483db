-- department: not applicable (the area layer only, no events or persons)
-- Current polygons (WKB, WGS-84) of one level inside the viewer's jurisdiction.
SELECT code, name, geometry_wkb
FROM areas
WHERE level = $level AND starts_with(code, $scope) AND valid_to IS NULL
ORDER BY code
