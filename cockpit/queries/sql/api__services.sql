-- department: not applicable (the event taxonomy: the same for every area and department)
-- Open311 services: the event subclasses of the taxonomy the warehouse was built with (service_code
-- = 小类代码), with their class and the handling time limit a request's expected_datetime comes
-- from. The taxonomy is not limited by area; run() binds $scope to every query, so it is named.
SELECT class_code, class_name, subclass_code, subclass_name, limit_value, limit_unit
FROM core.event_categories
WHERE $scope IS NOT NULL
ORDER BY subclass_code
