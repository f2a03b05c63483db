-- Current community polygons (WKB, WGS-84) in the viewer's jurisdiction.
SELECT code, geometry_wkb
FROM areas
WHERE level = 'community' AND starts_with(code, $scope) AND valid_to IS NULL
ORDER BY code
