-- How many communities and grids in force the viewer's jurisdiction holds: the big screen's map
-- shows the finest level with more than one area (communities, else grids), else the events as
-- points on the one grid.
SELECT count(*) FILTER (level = 'community') AS communities,
       count(*) FILTER (level = 'grid')      AS grids
FROM core.areas_in_force a
WHERE starts_with(a.code, $scope) AND length(a.code) > length($scope)
