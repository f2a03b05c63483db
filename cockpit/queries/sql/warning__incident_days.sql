-- 预警研判: the daily course of one incident ($incident_id), only if the viewer sees it: reported
-- against the baseline and its upper bound on its main area and subject, and the backlog of its
-- reports (open, overdue) at each day's end.
SELECT d.day, d.reported, d.expected, d.upper, d.closed, d.open_end, d.overdue_end
FROM warning.incident_days d
WHERE d.incident_id = $incident_id
  AND EXISTS (SELECT 1 FROM warning.incident_areas a
              WHERE a.incident_id = d.incident_id AND starts_with(a.area_code, $scope))
ORDER BY d.day
