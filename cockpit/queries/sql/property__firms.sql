-- 物业红黑榜: every rated property-service firm, ranked by credit score (rank 1 = best; equal
-- scores share a rank), optionally only one list ($list: 红榜 / 黑榜 / 无; NULL = all).
--
-- Scope rule. Firms carry no area of the grid layer: registered_region is only the county where
-- the firm is registered (characters 3–8 of its credit code), not where it serves, and the
-- compounds it manages are a count, not addresses. The red/black list is a public rating the
-- city publishes for organisations (not residents), so every viewer sees the whole list: the
-- rows are NOT limited by $scope. $scope only marks the firms registered in the viewer's own
-- area (registered_region inside the scope, or the scope inside the registration county).
SELECT firm_id, name, credit_code, registered_region,
       length(registered_region) = 6
       AND (starts_with(registered_region, $scope) OR starts_with($scope, registered_region)) AS registered_here,
       compounds, red_heart_projects, red_heart_compounds, credit_score, red_black_list, rating_date,
       rank() OVER (ORDER BY credit_score DESC)                                          AS score_rank
FROM core.property_firms
QUALIFY $list IS NULL OR red_black_list = $list
ORDER BY credit_score DESC, firm_id
