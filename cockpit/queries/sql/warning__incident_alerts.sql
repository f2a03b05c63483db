-- 预警研判: the alerts (series × day) behind one incident the viewer sees, on areas inside the
-- jurisdiction (a 片区 is named by its central grid), newest first.
SELECT a.alert_id, a.day, a.kind, a.level, a.level_name, a.area_code, a.area_name, a.tier, a.tier_name,
       a.window_days, a.observed, a.expected, a.today, a.score, a.rule, a.reason
FROM warning.alerts a
WHERE a.incident_id = $incident_id AND starts_with(a.area_code, $scope)
  AND EXISTS (SELECT 1 FROM warning.incident_areas v
              WHERE v.incident_id = a.incident_id AND starts_with(v.area_code, $scope))
ORDER BY a.day DESC, a.score DESC, a.alert_id
