-- How many rows workflow__overdue.sql has in all (for the page count).
SELECT count(*) AS n
FROM mart.event_sla s
WHERE s.overdue_open AND starts_with(s.grid_code, $scope)
  AND ($department IS NULL OR s.department = $department)
