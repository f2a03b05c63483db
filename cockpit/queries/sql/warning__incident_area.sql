-- 预警研判 map: the areas to outline for one incident the viewer sees: its grids inside the
-- jurisdiction (the versions in force at as-of), or its main area when that is coarser than a grid
-- and inside it; none for a city-wide incident (the city has no polygon).
SELECT DISTINCT a.code
FROM warning.incidents i
JOIN (SELECT incident_id, grid_code AS code FROM warning.incident_grids
      UNION ALL SELECT incident_id, area_code FROM warning.incidents WHERE level <> 'grid') c USING (incident_id)
JOIN core.areas_in_force a ON a.code = c.code
WHERE i.incident_id = $incident_id AND starts_with(c.code, $scope)
  AND (i.level IN ('grid', 'community') OR c.code = i.area_code)
