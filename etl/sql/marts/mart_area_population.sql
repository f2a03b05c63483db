-- Residents and households for every area at every level, rolled up from grids by code prefix.
WITH persons_per_grid AS (
    SELECT grid_code, count(*) AS residents FROM wh.persons GROUP BY grid_code
), households_per_grid AS (
    SELECT grid_code, count(*) AS households FROM wh.households GROUP BY grid_code
), per_grid AS (
    SELECT * FROM persons_per_grid FULL JOIN households_per_grid USING (grid_code)
)
SELECT a.code, a.level,
       coalesce(sum(g.residents), 0)::BIGINT  AS residents,
       coalesce(sum(g.households), 0)::BIGINT AS households
FROM wh.areas a
LEFT JOIN per_grid g ON starts_with(g.grid_code, a.code)
GROUP BY a.code, a.level
