-- The names of a drill position and its ancestors down from the viewer's jurisdiction, for the
-- breadcrumb: every area code that $position starts with, inside $scope (latest version of each).
SELECT code, name
FROM areas
WHERE starts_with($position, code) AND starts_with(code, $scope)
QUALIFY row_number() OVER (PARTITION BY code ORDER BY valid_to DESC NULLS FIRST) = 1
ORDER BY length(code)
