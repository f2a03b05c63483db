-- The names of a drill position and its ancestors down from the viewer's jurisdiction, for the
-- breadcrumb: every area code that $position starts with, inside $scope (names: sql/_area_names.sql).
SELECT code, name
FROM (
    -- include: area_names
) n
WHERE starts_with($position, code) AND starts_with(code, $scope)
ORDER BY length(code)
