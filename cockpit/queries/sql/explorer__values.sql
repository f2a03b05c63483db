-- The values the explorer's filters may take inside the viewer's jurisdiction (the whitelist for
-- what a browser sends): sources, statuses and departments that occur in its events, and the
-- event taxonomy (classes and subclasses) from the reference table. A department account's
-- $department limits them to its own events; otherwise $department is NULL.
SELECT DISTINCT 'source' AS kind, source AS value, source AS label, NULL AS parent
FROM core.events WHERE starts_with(grid_code, $scope)
  AND ($department IS NULL OR department = $department) AND source IS NOT NULL
UNION ALL
SELECT DISTINCT 'status', status, status, NULL
FROM core.events WHERE starts_with(grid_code, $scope)
  AND ($department IS NULL OR department = $department) AND status IS NOT NULL
UNION ALL
SELECT DISTINCT 'department', department, department, NULL
FROM core.events WHERE starts_with(grid_code, $scope)
  AND ($department IS NULL OR department = $department) AND department IS NOT NULL
UNION ALL
SELECT DISTINCT 'class', class_code, class_name, NULL FROM core.event_categories
UNION ALL
SELECT 'subclass', subclass_code, subclass_name, class_code FROM core.event_categories
ORDER BY kind, value
