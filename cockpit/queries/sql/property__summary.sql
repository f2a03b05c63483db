-- Counters of the red/black list (district-wide like property__firms.sql: firms are
-- organisations with no area of the grid layer, shown to every viewer; $scope only counts the
-- firms registered in the viewer's area). 红榜 / 黑榜 as published in red_black_list (the contract
-- ties them to credit_score >= 90 / < 60); average score over all rated firms.
SELECT count(*)                                                        AS firms,
       count(*) FILTER (red_black_list = '红榜')                        AS red,
       count(*) FILTER (red_black_list = '黑榜')                        AS black,
       avg(credit_score)                                               AS avg_score,
       coalesce(sum(compounds), 0)                                     AS compounds,
       coalesce(sum(red_heart_projects), 0)                            AS red_heart_projects,
       coalesce(sum(red_heart_compounds), 0)                           AS red_heart_compounds,
       count(*) FILTER (length(registered_region) = 6
                        AND (starts_with(registered_region, $scope) OR starts_with($scope, registered_region)))
                                                                       AS registered_here,
       max(rating_date)                                                AS latest_rating
FROM core.property_firms
