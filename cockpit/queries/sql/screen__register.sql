-- Register figures for the boards: special groups (mart.area_population, per grid), organisations by
-- kind, volunteers and teams registered by the as-of day, needs open and overdue (open = registered
-- and not resolved by the as-of day; overdue = open past its deadline, the time_limit_days-th
-- working day after registration), as on the 服务与需求 page; by their grid, so a grid sees its own.
-- Teams, volunteers and service activities are registered per community: a grid has none of its own.
-- Property firms carry no area: their red list is district-wide information about firms, shown to every viewer.
WITH m AS (SELECT as_of::DATE AS today FROM ops.meta),
pop AS (SELECT sum(party_members) AS party_members, sum(elderly_alone) AS elderly_alone,
               sum(low_income) AS low_income, sum(veterans) AS veterans
        FROM mart.area_population WHERE level = 'grid' AND starts_with(code, $scope))
SELECT
    coalesce(pop.party_members, 0) AS party_members,
    coalesce(pop.elderly_alone, 0) AS elderly_alone,
    coalesce(pop.low_income, 0)    AS low_income,
    coalesce(pop.veterans, 0)      AS veterans,
    (SELECT count(*) FROM core.volunteer_teams, m WHERE founded_date <= m.today
     AND starts_with(community_code, $scope))                                        AS teams,
    (SELECT count(*) FROM core.volunteers, m WHERE registered_date <= m.today
     AND starts_with(community_code, $scope))                                        AS volunteers,
    (SELECT coalesce(sum(service_hours), 0) FROM core.volunteers, m WHERE registered_date <= m.today
     AND starts_with(community_code, $scope))                                        AS volunteer_hours,
    (SELECT count(*) FROM core.organisations WHERE org_type IN ('企业', '个体工商户')
     AND starts_with(grid_code, $scope))                                             AS businesses,
    (SELECT count(*) FROM core.needs, m WHERE reported_date <= m.today
     AND (resolved_date IS NULL OR resolved_date > m.today)
     AND starts_with(grid_code, $scope))                                             AS needs_open,
    (SELECT count(*) FROM core.needs, m WHERE reported_date <= m.today
     AND (resolved_date IS NULL OR resolved_date > m.today) AND deadline_date < m.today
     AND starts_with(grid_code, $scope))                                             AS needs_overdue,
    (SELECT count(*) FROM core.property_firms WHERE red_black_list = '红榜')              AS firms_red,
    (SELECT count(*) FROM core.property_firms WHERE red_black_list = '黑榜')              AS firms_black
FROM pop
