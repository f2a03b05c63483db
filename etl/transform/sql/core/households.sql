-- Households (实有人口 by household) with their place in the area hierarchy.
SELECT
    h.*,
    left(h.grid_code, 12) AS community_code,
    left(h.grid_code, 9)  AS street_code,
    left(h.grid_code, 6)  AS district_code
FROM memory.stg_households h
