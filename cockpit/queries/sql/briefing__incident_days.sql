-- 简报: the daily course of the incidents $ids (a list) from $first_day to $last_day, only those
-- the viewer's jurisdiction sees: reported against the baseline and its upper bound.
SELECT d.incident_id, d.day, d.reported, d.expected, d.upper
FROM warning.incident_days d
WHERE list_contains($ids, d.incident_id)
  AND d.day >= CAST($first_day AS DATE) AND d.day <= CAST($last_day AS DATE)
  AND EXISTS (SELECT 1 FROM warning.incident_areas a
              WHERE a.incident_id = d.incident_id AND starts_with(a.area_code, $scope))
ORDER BY d.incident_id, d.day
