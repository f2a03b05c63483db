-- Residents, households and the special groups (counts only: tags never leave as rows) for every
-- current area at every level, rolled up from grids by code prefix.
WITH persons_per_grid AS (
    SELECT grid_code,
           count(*)                                 AS residents,
           count(*) FILTER (is_elderly_alone)       AS elderly_alone,
           count(*) FILTER (is_low_income)          AS low_income,
           count(*) FILTER (is_disabled)            AS disabled,
           count(*) FILTER (is_veteran)             AS veterans,
           count(*) FILTER (is_party_member)        AS party_members,
           count(*) FILTER (is_minor)               AS minors,
           count(*) FILTER (residence_type = '流动人口') AS floating
    FROM wh.persons GROUP BY grid_code
), households_per_grid AS (
    SELECT grid_code, count(*) AS households FROM wh.households GROUP BY grid_code
), per_grid AS (
    SELECT * FROM persons_per_grid FULL JOIN households_per_grid USING (grid_code)
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
FROM wh.areas a
LEFT JOIN per_grid g ON starts_with(g.grid_code, a.code)
WHERE a.valid_to IS NULL
GROUP BY a.code, a.level
