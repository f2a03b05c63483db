-- 预警研判: the alerts active at the generation's as-of day, in the viewer's jurisdiction
-- (the alert's area code inside the scope), newest first, strongest first within a day.
SELECT alert_id, day, level, level_name, area_code, area_name, subclass_code, subclass_name,
       class_name, observed, expected, p_value, cusum, method, score, since, reason, incident_id
FROM warning_alerts
WHERE active AND starts_with(area_code, $scope)
ORDER BY day DESC, score DESC, alert_id
