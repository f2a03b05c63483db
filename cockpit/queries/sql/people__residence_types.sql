-- The residence types (户籍人口, 流动人口, …) present in the viewer's jurisdiction, for the filter.
SELECT DISTINCT residence_type FROM core.persons
WHERE starts_with(grid_code, $scope) AND residence_type IS NOT NULL
ORDER BY residence_type
