-- 重点关爱对象 in the viewer's jurisdiction: the register's special groups summed over its grids
-- (mart.area_population; per person the tags never reach the warehouse, only these counts).
SELECT coalesce(sum(elderly_alone), 0) AS elderly_alone,
       coalesce(sum(low_income), 0)    AS low_income,
       coalesce(sum(disabled), 0)      AS disabled,
       coalesce(sum(veterans), 0)      AS veterans,
       coalesce(sum(minors), 0)        AS minors
FROM mart.area_population
WHERE level = 'grid' AND starts_with(code, $scope)
