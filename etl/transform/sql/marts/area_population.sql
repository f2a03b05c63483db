-- Residents, households and the special groups (counted per grid by core/person_groups_per_grid.sql
-- into mart.person_groups_per_grid: the tags never reach the warehouse per person) for every area
-- in force at as-of (core.areas_in_force) at every level, rolled up from grids by code prefix.
WITH persons_per_grid AS (
    SELECT grid_code,
           count(*)                                 AS residents,
           count(*) FILTER (residence_type = '流动人口') AS floating
    FROM wh.core.persons GROUP BY grid_code
), groups_per_grid AS (
    SELECT * FROM wh.mart.person_groups_per_grid
), households_per_grid AS (
    SELECT grid_code, count(*) AS households FROM wh.core.households GROUP BY grid_code
), per_grid AS (
    SELECT * FROM persons_per_grid FULL JOIN households_per_grid USING (grid_code)
                                   LEFT JOIN groups_per_grid USING (grid_code)
)
SELECT a.code, a.level,
       coalesce(sum(g.residents), 0)::BIGINT     AS residents,
       coalesce(sum(g.households), 0)::BIGINT    AS households,
       coalesce(sum(g.elderly_alone), 0)::BIGINT AS elderly_alone,
       coalesce(sum(g.low_income), 0)::BIGINT    AS low_income,
       coalesce(sum(g.disabled), 0)::BIGINT      AS disabled,
       coalesce(sum(g.veterans), 0)::BIGINT      AS veterans,
       coalesce(sum(g.party_members), 0)::BIGINT AS party_members,
       coalesce(sum(g.minors), 0)::BIGINT        AS minors,
       coalesce(sum(g.floating), 0)::BIGINT      AS floating
FROM wh.core.areas_in_force a
LEFT JOIN per_grid g ON starts_with(g.grid_code, a.code)
GROUP BY a.code, a.level
