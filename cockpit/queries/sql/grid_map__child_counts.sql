-- How many areas in force each area of the viewer's jurisdiction has one level down (and the
-- first of them): the map opens at the first level with more than one area to show (a city scope
-- over one district opens on that district's streets). Districts have no parent row: their
-- parent is the city (the first 4 digits).
SELECT CASE WHEN length(a.code) = 6 THEN left(a.code, 4) ELSE a.parent_code END AS code,
       count(*) AS children, min(a.code) AS first_child
FROM core.areas_in_force a
WHERE starts_with(a.code, $scope) AND length(a.code) > length($scope)
GROUP BY 1
