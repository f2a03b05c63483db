-- Every code's name (`code`, `name`), also for codes no longer in force: the version in force at
-- as-of (areas_in_force), else the code's latest version. Events, needs and persons keep the code
-- of the version in force on their date, so a split grid's old code still needs its name. Only
-- the account's area, what lies in it and above it: a query that reads this alone shows no other.
SELECT a.code, first(a.name ORDER BY f.code IS NOT NULL DESC, a.valid_from DESC NULLS LAST) AS name
FROM core.areas a
LEFT JOIN core.areas_in_force f ON f.code = a.code AND f.valid_from IS NOT DISTINCT FROM a.valid_from
WHERE starts_with(a.code, $scope) OR starts_with($scope, a.code)
GROUP BY a.code
