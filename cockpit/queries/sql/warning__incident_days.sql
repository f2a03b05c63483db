-- 预警研判: the daily course of one incident ($incident_id), only if the incident's area is
-- inside the viewer's jurisdiction: reported against the baseline and its upper bound, and the
-- backlog (open, overdue) at each day's end.
SELECT d.day, d.reported, d.expected, d.upper, d.closed, d.open_end, d.overdue_end
FROM warning_incident_days d
JOIN warning_incidents i USING (incident_id)
WHERE d.incident_id = $incident_id AND starts_with(i.area_code, $scope)
ORDER BY d.day
