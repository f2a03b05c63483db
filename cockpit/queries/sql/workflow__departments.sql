-- Departments that handled cases in the viewer's jurisdiction: the whitelist for the filter.
SELECT DISTINCT department
FROM core.events
WHERE department IS NOT NULL AND starts_with(grid_code, $scope)
ORDER BY department
