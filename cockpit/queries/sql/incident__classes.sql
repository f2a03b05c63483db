-- Event classes (事件大类) seen in the viewer's jurisdiction: the whitelist for the class filter.
SELECT DISTINCT c.class_code, c.class_name
FROM core.event_categories c
WHERE c.class_code IN (SELECT class_code FROM mart.events_daily WHERE starts_with(grid_code, $scope))
ORDER BY c.class_code
