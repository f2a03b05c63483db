-- Every code's display name (core.area_names: in force at as-of, else its latest), for the
-- account's area, what lies in it and above it: a query that reads this alone shows no other.
SELECT code, name FROM core.area_names
WHERE starts_with(code, $scope) OR starts_with($scope, code)
