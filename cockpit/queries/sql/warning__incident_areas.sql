-- 预警研判: every area one incident is seen from (warning.incident_areas), if the viewer sees it: a
-- 研判 label on it is stored with them, so that whoever sees the incident sees its labels.
SELECT a.area_code
FROM warning.incident_areas a
WHERE a.incident_id = $incident_id
  AND EXISTS (SELECT 1 FROM warning.incident_areas v
              WHERE v.incident_id = a.incident_id AND starts_with(v.area_code, $scope))
ORDER BY a.area_code
