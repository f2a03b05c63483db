-- 预警研判 map: the code of one incident's area (its current version), if the incident's area
-- is inside the viewer's jurisdiction; none for a city-wide incident (the city has no polygon).
SELECT a.code
FROM warning_incidents i
JOIN areas a ON a.code = i.area_code AND a.valid_to IS NULL
WHERE i.incident_id = $incident_id AND starts_with(i.area_code, $scope)
