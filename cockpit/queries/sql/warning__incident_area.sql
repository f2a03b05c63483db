-- 预警研判 map: the code of one incident's area (its version in force at as-of), if the
-- incident's area is inside the viewer's jurisdiction; none for a city-wide incident (the city
-- has no polygon).
SELECT a.code
FROM warning_incidents i
JOIN areas a ON a.code = i.area_code
CROSS JOIN meta m
WHERE i.incident_id = $incident_id AND starts_with(i.area_code, $scope)
  AND coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)
